//! Datatypes: the in-memory model of the Datatype message (spec IV.A.2.d, message 0x0003),
//! with every class of versions 1-5, including HDF5 2.0's Complex class (11).
//!
//! `parse.rs` decodes the message, `encode.rs` writes it, `build.rs` has constructors for
//! the common types; the rest of the crate works on [`Datatype`].

mod build;
mod encode;
mod parse;

pub use parse::{parse_datatype, MAX_DEPTH};

/// Byte order of an atomic type's elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByteOrder {
    /// Least significant byte first.
    Little,
    /// Most significant byte first.
    Big,
}

/// How a float's mantissa is normalized (class bit field bits 4-5 of the floating-point
/// class, spec IV.A.2.d).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Normalization {
    /// 0: no normalization; the mantissa's leading one is stored wherever it falls
    /// (`H5T_NORM_NONE`, e.g. the x87 80-bit extended type).
    None,
    /// 1: the mantissa's most significant bit is always set and stored (`H5T_NORM_MSBSET`).
    MsbSet,
    /// 2: the mantissa's leading one is implied, not stored (`H5T_NORM_IMPLIED`, IEEE).
    Implied,
}

/// How a fixed-length string is padded (class bit field bits 0-3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StringPadding {
    /// Null terminated (`H5T_STR_NULLTERM`).
    NullTerminate,
    /// Null padded (`H5T_STR_NULLPAD`).
    NullPad,
    /// Space padded (`H5T_STR_SPACEPAD`).
    SpacePad,
}

/// Character set of a string (class bit field bits 4-7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CharacterSet {
    /// US-ASCII.
    Ascii,
    /// UTF-8.
    Utf8,
}

/// What a reference points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReferenceKind {
    /// Object reference (`H5R_OBJECT1`): the address of an object header.
    Object,
    /// Dataset region reference (`H5R_DATASET_REGION1`).
    DatasetRegion,
    /// Revised references of HDF5 1.12+ (type value 2-4 and beyond).
    Other(u8),
}

/// A member of a compound type.
#[derive(Clone, Debug, PartialEq)]
pub struct CompoundMember {
    /// Member name.
    pub name: String,
    /// Byte offset of the member inside the compound element.
    pub offset: u32,
    /// Member type.
    pub datatype: Datatype,
}

/// A member of an enumeration type.
#[derive(Clone, Debug, PartialEq)]
pub struct EnumMember {
    /// Member name.
    pub name: String,
    /// The value, `base.size` bytes in the base type's encoding.
    pub value: Vec<u8>,
}

/// Datatype class and its class-specific properties.
#[derive(Clone, Debug, PartialEq)]
pub enum TypeClass {
    /// Class 0: fixed-point (integer).
    Integer {
        /// Byte order.
        order: ByteOrder,
        /// Two's complement signed.
        signed: bool,
        /// Bit offset of the first significant bit.
        bit_offset: u16,
        /// Number of significant bits.
        precision: u16,
    },
    /// Class 1: floating point.
    Float {
        /// Byte order (VAX order is rejected as unsupported).
        order: ByteOrder,
        /// Bit offset of the first significant bit.
        bit_offset: u16,
        /// Number of significant bits.
        precision: u16,
        /// Bit position of the sign bit.
        sign_location: u8,
        /// Bit position of the exponent.
        exponent_location: u8,
        /// Exponent size in bits.
        exponent_size: u8,
        /// Bit position of the mantissa.
        mantissa_location: u8,
        /// Mantissa size in bits.
        mantissa_size: u8,
        /// Exponent bias.
        exponent_bias: u32,
        /// Mantissa normalization.
        normalization: Normalization,
    },
    /// Class 2: time (obsolete, read as raw integers).
    Time {
        /// Byte order.
        order: ByteOrder,
        /// Number of significant bits.
        precision: u16,
    },
    /// Class 3: fixed-length string.
    String {
        /// Padding.
        padding: StringPadding,
        /// Character set.
        charset: CharacterSet,
    },
    /// Class 4: bit field.
    Bitfield {
        /// Byte order.
        order: ByteOrder,
        /// Bit offset.
        bit_offset: u16,
        /// Number of significant bits.
        precision: u16,
    },
    /// Class 5: opaque.
    Opaque {
        /// The ASCII tag.
        tag: String,
    },
    /// Class 6: compound.
    Compound {
        /// Members in the order they are stored in the message.
        members: Vec<CompoundMember>,
    },
    /// Class 7: reference.
    Reference {
        /// What it references.
        kind: ReferenceKind,
    },
    /// Class 8: enumeration.
    Enum {
        /// The integer base type.
        base: Box<Datatype>,
        /// Members in stored order.
        members: Vec<EnumMember>,
    },
    /// Class 9: variable-length sequence of `base`.
    VarLenSequence {
        /// Element type.
        base: Box<Datatype>,
    },
    /// Class 9: variable-length string.
    VarLenString {
        /// Padding.
        padding: StringPadding,
        /// Character set.
        charset: CharacterSet,
    },
    /// Class 10: fixed-size array of `base`.
    Array {
        /// Array dimensions.
        dims: Vec<u32>,
        /// Element type.
        base: Box<Datatype>,
    },
    /// Class 11 (HDF5 2.0): complex number whose parts have type `base` (a float).
    Complex {
        /// Type of each of the real and imaginary parts.
        base: Box<Datatype>,
    },
}

/// A datatype: its element size in bytes and its class.
#[derive(Clone, Debug, PartialEq)]
pub struct Datatype {
    /// Element size in bytes, as stored in the message.
    pub size: u32,
    /// Class and properties.
    pub class: TypeClass,
}

impl Datatype {
    /// Element size in bytes.
    pub fn size(&self) -> usize {
        self.size as usize
    }

    /// h5py's boolean: an enum of a 1-byte signed integer with exactly the members
    /// `FALSE` = 0 and `TRUE` = 1.
    pub fn is_h5py_bool(&self) -> bool {
        match &self.class {
            TypeClass::Enum { base, members } => {
                matches!(base.class, TypeClass::Integer { .. })
                    && base.size == 1
                    && members.len() == 2
                    && members.iter().any(|m| m.name == "FALSE" && m.value == [0])
                    && members.iter().any(|m| m.name == "TRUE" && m.value == [1])
            }
            _ => false,
        }
    }

    /// h5py's complex: a compound of exactly two floats of equal size named `r` and `i`
    /// at offsets 0 and size/2, each 4 or 8 bytes (numpy has no complex of halfs), or HDF5
    /// 2.0's complex class. Returns the type of one part.
    pub fn h5py_complex_part(&self) -> Option<&Datatype> {
        match &self.class {
            TypeClass::Compound { members } => match members.as_slice() {
                [r, i]
                    if r.name == "r"
                        && i.name == "i"
                        && r.offset == 0
                        && matches!(r.datatype.class, TypeClass::Float { .. })
                        && r.datatype == i.datatype
                        && matches!(r.datatype.size, 4 | 8)
                        && i.offset == r.datatype.size
                        && self.size == 2 * r.datatype.size =>
                {
                    Some(&r.datatype)
                }
                _ => None,
            },
            TypeClass::Complex { base } => Some(base),
            _ => None,
        }
    }
}

impl Datatype {
    /// This type with the sizes of variable-length elements and object references set for
    /// a file whose addresses are `offset_size` bytes (a vlen element is a 4-byte count, an
    /// address and a 4-byte index).
    pub fn for_offset_size(&self, offset_size: u8) -> Datatype {
        let vlen = 8 + u32::from(offset_size);
        match &self.class {
            TypeClass::VarLenString { .. } => Datatype {
                size: vlen,
                class: self.class.clone(),
            },
            TypeClass::VarLenSequence { base } => Datatype {
                size: vlen,
                class: TypeClass::VarLenSequence {
                    base: Box::new(base.for_offset_size(offset_size)),
                },
            },
            TypeClass::Reference {
                kind: ReferenceKind::Object,
            } => Datatype {
                size: u32::from(offset_size),
                class: self.class.clone(),
            },
            // A global heap ID: collection address and a 4-byte object index.
            TypeClass::Reference {
                kind: ReferenceKind::DatasetRegion,
            } => Datatype {
                size: u32::from(offset_size) + 4,
                class: self.class.clone(),
            },
            _ => self.clone(),
        }
    }
}
