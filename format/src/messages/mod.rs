//! Header messages (spec IV.A.2), one file per message type. Each type has a `parse` that
//! decodes the message body from a [`Cursor`](crate::io::Cursor) positioned at its start.

pub mod attribute;
pub mod attribute_info;
pub mod external;
pub mod fill_value;
pub mod filter_pipeline;
pub mod group_info;
pub mod layout;
pub mod link;
pub mod link_info;
pub mod shared;
pub mod symbol_table;

/// Message type numbers (spec IV.A.2 a-x).
pub mod kind {
    /// NIL: padding.
    pub const NIL: u16 = 0x0000;
    /// Dataspace.
    pub const DATASPACE: u16 = 0x0001;
    /// Link Info.
    pub const LINK_INFO: u16 = 0x0002;
    /// Datatype.
    pub const DATATYPE: u16 = 0x0003;
    /// Fill Value (old).
    pub const FILL_VALUE_OLD: u16 = 0x0004;
    /// Fill Value.
    pub const FILL_VALUE: u16 = 0x0005;
    /// Link.
    pub const LINK: u16 = 0x0006;
    /// External Data Files.
    pub const EXTERNAL_FILES: u16 = 0x0007;
    /// Data Layout.
    pub const LAYOUT: u16 = 0x0008;
    /// Bogus (testing only).
    pub const BOGUS: u16 = 0x0009;
    /// Group Info.
    pub const GROUP_INFO: u16 = 0x000A;
    /// Filter Pipeline.
    pub const FILTER_PIPELINE: u16 = 0x000B;
    /// Attribute.
    pub const ATTRIBUTE: u16 = 0x000C;
    /// Object Comment.
    pub const COMMENT: u16 = 0x000D;
    /// Object Modification Time (old).
    pub const MTIME_OLD: u16 = 0x000E;
    /// Shared Message Table.
    pub const SHARED_TABLE: u16 = 0x000F;
    /// Object Header Continuation.
    pub const CONTINUATION: u16 = 0x0010;
    /// Symbol Table.
    pub const SYMBOL_TABLE: u16 = 0x0011;
    /// Object Modification Time.
    pub const MTIME: u16 = 0x0012;
    /// B-tree 'K' Values.
    pub const BTREE_K: u16 = 0x0013;
    /// Driver Info.
    pub const DRIVER_INFO: u16 = 0x0014;
    /// Attribute Info.
    pub const ATTRIBUTE_INFO: u16 = 0x0015;
    /// Object Reference Count.
    pub const REF_COUNT: u16 = 0x0016;
    /// File Space Info.
    pub const FILE_SPACE_INFO: u16 = 0x0017;
}
