//! Virtual datasets (layout class 3, spec III.F): checking a mapping list the way libhdf5's
//! `H5Pset_virtual` and `H5Dcreate` check it, putting its selections in the form libhdf5
//! stores them ([`Selection::libhdf5_form`]), and storing the mapping block (version 0,
//! [`vds_block::encode`]) as one object of a global heap collection, as libhdf5 does.
//!
//! The rules (`H5D_virtual_check_mapping_pre/post`, `H5D_virtual_check_min_dims`,
//! `H5D__virtual_parse_source_name`), each an [`Error::Invalid`] naming the mapping:
//!
//! - source file and dataset names are not empty and hold no NUL; `%` starts `%b` (the
//!   block number of a printf mapping) or `%%` (a `%`), nothing else;
//! - selections are "all" or regular hyperslabs (libhdf5 refuses points; irregular
//!   hyperslabs are not written here); the virtual selection has the dataset's rank, the
//!   source selection the rank of the source extent given with it, and each fits its extent
//!   (the virtual dataset's limited axes must hold every limited part of every mapping);
//! - **limited** mappings select as many elements on both sides;
//! - **unlimited** mappings (an unlimited count or block in the virtual selection) need an
//!   unlimited maximum on that axis of the virtual dataset, and either an unlimited source
//!   selection with as many elements on the other axes, or a limited source selection and
//!   `%b` in a source name ("printf" mapping: block `b` of the virtual selection, an
//!   unlimited count, comes from the names with `b` substituted; one block holds as many
//!   elements as the source selection);
//! - `%b` appears only in printf mappings; a limited virtual selection cannot take an
//!   unlimited source selection;
//! - "all" as a virtual selection is refused when the extent can change (another mapping is
//!   unlimited): it would stop matching its source.

use crate::dataspace::selection::{RegularDim, Selection};
use crate::dataspace::UNLIMITED;
use crate::emit::Emit;
use crate::error::{Error, Result};
use crate::heap::global::GlobalHeapId;
use crate::heap::vds_block::Mapping;
use crate::store::Store;
use crate::writer::session::Session;

/// One mapping to write: what is stored, and the extent of the source its source
/// selection is made for (h5py's `VirtualSource(shape=...)`; libhdf5's source dataspace).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MappingSpec {
    /// The mapping as given (its selections are normalized when stored).
    pub mapping: Mapping,
    /// The extent the source selection is checked against (and "all" counts).
    pub source_dims: Vec<u64>,
}

/// Check `specs` for a virtual dataset of extent `dims` and maximum `max_dims` (see the
/// module docs) and return the mappings as they are to be stored.
pub fn check_mappings(
    specs: &[MappingSpec],
    dims: &[u64],
    max_dims: &[u64],
) -> Result<Vec<Mapping>> {
    if specs.is_empty() {
        return Err(Error::Invalid(
            "a virtual dataset needs at least one mapping".into(),
        ));
    }
    if dims.is_empty() || max_dims.len() != dims.len() {
        return Err(Error::Invalid(format!(
            "a virtual dataset needs a shape of rank 1 or more (shape {dims:?}, maximum \
             {max_dims:?})"
        )));
    }
    let mut out = Vec::with_capacity(specs.len());
    let mut any_unlimited = false;
    for (i, spec) in specs.iter().enumerate() {
        let m = &spec.mapping;
        let what = format!("virtual mapping {i} ({:?}:{:?})", m.file, m.dataset);
        let err = |detail: String| Error::Invalid(format!("{what}: {detail}"));
        let subs = printf_subs(&m.file, "source file name").map_err(err)?
            + printf_subs(&m.dataset, "source dataset name").map_err(err)?;
        check_kind(&m.virtual_sel, "virtual").map_err(err)?;
        check_kind(&m.source, "source").map_err(err)?;
        m.virtual_sel
            .check_regular()
            .map_err(|e| err(e.to_string()))?;
        m.source.check_regular().map_err(|e| err(e.to_string()))?;
        if spec.source_dims.is_empty() {
            return Err(err("the source extent must have at least one axis".into()));
        }
        for (sel, extent, side) in [
            (&m.virtual_sel, dims, "virtual"),
            (&m.source, spec.source_dims.as_slice(), "source"),
        ] {
            if let Some(rank) = sel.rank().filter(|&r| r != extent.len()) {
                return Err(err(format!(
                    "the {side} selection has rank {rank}, its extent {extent:?} rank {}",
                    extent.len()
                )));
            }
            check_fits(sel, extent).map_err(|e| err(format!("the {side} selection {e}")))?;
        }
        let v_unlim = m.virtual_sel.unlimited_axis();
        let s_unlim = m.source.unlimited_axis();
        match (v_unlim, s_unlim) {
            (None, Some(_)) => {
                return Err(err(
                    "a limited virtual selection cannot map an unlimited source selection".into(),
                ))
            }
            (None, None) => {
                if subs > 0 {
                    return Err(err(
                        "%b in a source name needs an unlimited virtual selection and a \
                         limited source selection (a printf mapping)"
                            .into(),
                    ));
                }
                let v = count(&m.virtual_sel, dims)?;
                let s = count(&m.source, &spec.source_dims)?;
                if v != s {
                    return Err(err(format!(
                        "the virtual selection has {v} elements, the source selection {s}"
                    )));
                }
            }
            (Some(axis), source_unlim) => {
                any_unlimited = true;
                if max_dims.get(axis) != Some(&UNLIMITED) {
                    return Err(err(format!(
                        "the virtual selection is unlimited on axis {axis}: the dataset's \
                         maximum shape must be unlimited there (it is {max_dims:?})"
                    )));
                }
                if source_unlim.is_some() {
                    if subs > 0 {
                        return Err(err(
                            "%b in a source name needs a limited source selection".into()
                        ));
                    }
                    let v = m.virtual_sel.non_unlimited_elements();
                    let s = m.source.non_unlimited_elements();
                    if v != s {
                        return Err(err(format!(
                            "the selections have {} and {} elements outside their unlimited \
                             axes (virtual, source): they must be equal",
                            show(v),
                            show(s)
                        )));
                    }
                } else {
                    if subs == 0 {
                        return Err(err(
                            "an unlimited virtual selection with a limited source selection \
                             needs %b in the source file or dataset name (a printf mapping)"
                                .into(),
                        ));
                    }
                    let Some(first) = m.virtual_sel.unlimited_block(0) else {
                        return Err(err(
                            "a printf mapping needs an unlimited count of blocks in the \
                             virtual selection, not an unlimited block"
                                .into(),
                        ));
                    };
                    let v = first.non_unlimited_elements();
                    let s = count(&m.source, &spec.source_dims)?;
                    if v != Some(s) {
                        return Err(err(format!(
                            "one block of the virtual selection has {} elements, the source \
                             selection {s}",
                            show(v)
                        )));
                    }
                }
            }
        }
        out.push(Mapping {
            file: m.file.clone(),
            dataset: m.dataset.clone(),
            source: m.source.libhdf5_form().map_err(|e| err(e.to_string()))?,
            virtual_sel: m
                .virtual_sel
                .libhdf5_form()
                .map_err(|e| err(e.to_string()))?,
        });
    }
    if any_unlimited {
        if let Some(i) = specs
            .iter()
            .position(|s| s.mapping.virtual_sel == Selection::All)
        {
            return Err(Error::Invalid(format!(
                "virtual mapping {i}: \"all\" as a virtual selection cannot be combined with \
                 unlimited mappings (the extent changes with the sources): give a hyperslab"
            )));
        }
    }
    Ok(out)
}

/// Store an encoded mapping block in the file's current global heap collection (a new one
/// when it is full) and return its heap ID.
pub fn store(session: &mut Session, store: &Store, block: &[u8]) -> Result<GlobalHeapId> {
    let mut emit = Emit::default();
    let id = session.vlen.add(block, &mut session.space, &mut emit)?;
    session.commit(store, &emit)?;
    Ok(id)
}

/// Number of `%b` in `name`, or why it is not a valid source name.
fn printf_subs(name: &str, what: &str) -> std::result::Result<usize, String> {
    if name.is_empty() {
        return Err(format!("the {what} is empty"));
    }
    if name.contains('\0') {
        return Err(format!("the {what} {name:?} contains a NUL byte"));
    }
    let mut subs = 0;
    let mut chars = name.chars();
    while let Some(c) = chars.next() {
        if c == '%' {
            match chars.next() {
                Some('b') => subs += 1,
                Some('%') => {}
                _ => {
                    return Err(format!(
                        "the {what} {name:?} has a `%` that starts neither `%b` nor `%%` \
                         (write a literal `%` as `%%`)"
                    ))
                }
            }
        }
    }
    Ok(subs)
}

fn check_kind(sel: &Selection, side: &str) -> std::result::Result<(), String> {
    match sel {
        Selection::All | Selection::Regular(_) => Ok(()),
        Selection::None => Err(format!("the {side} selection selects nothing")),
        Selection::Points { .. } => Err(format!(
            "the {side} selection is a point selection (libhdf5 does not support points in \
             virtual datasets)"
        )),
        Selection::Blocks { .. } => Err(format!(
            "the {side} selection is an irregular hyperslab (only \"all\" and regular \
             hyperslabs are written)"
        )),
    }
}

/// Whether the limited axes of a selection lie inside `extent` (the unlimited axis is not
/// bounded by the extent).
fn check_fits(sel: &Selection, extent: &[u64]) -> std::result::Result<(), String> {
    let Selection::Regular(dims) = sel else {
        return Ok(());
    };
    for (axis, (d, &e)) in dims.iter().zip(extent).enumerate() {
        if d.count == UNLIMITED || d.block == UNLIMITED {
            continue;
        }
        if last(d).is_none_or(|l| l >= e) {
            return Err(format!(
                "passes the extent {extent:?} on axis {axis} (start {}, stride {}, count {}, \
                 block {})",
                d.start, d.stride, d.count, d.block
            ));
        }
    }
    Ok(())
}

/// The last position of a limited regular axis.
fn last(d: &RegularDim) -> Option<u64> {
    d.count
        .checked_sub(1)?
        .checked_mul(d.stride)?
        .checked_add(d.start)?
        .checked_add(d.block.checked_sub(1)?)
}

fn count(sel: &Selection, extent: &[u64]) -> Result<u64> {
    sel.resolve(extent, "virtual mapping selection")?.count()
}

fn show(v: Option<u64>) -> String {
    v.map_or_else(|| "too many".into(), |n| n.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn spec(v: Selection, file: &str, ds: &str, s: Selection, sd: &[u64]) -> MappingSpec {
        MappingSpec {
            mapping: Mapping {
                file: file.into(),
                dataset: ds.into(),
                source: s,
                virtual_sel: v,
            },
            source_dims: sd.to_vec(),
        }
    }

    fn reg(dims: &[(u64, u64, u64, u64)]) -> Selection {
        Selection::Regular(
            dims.iter()
                .map(|&(a, b, c, d)| RegularDim::new(a, b, c, d))
                .collect(),
        )
    }

    #[test]
    fn libhdf5_rules() {
        let ok = |s: MappingSpec, dims: &[u64], max: &[u64]| check_mappings(&[s], dims, max);
        let u = UNLIMITED;
        // Limited: counts must match.
        assert!(ok(
            spec(reg(&[(0, 1, 1, 10)]), "a.h5", "x", Selection::All, &[10]),
            &[10],
            &[10]
        )
        .is_ok());
        let e = ok(
            spec(reg(&[(0, 1, 1, 9)]), "a.h5", "x", Selection::All, &[10]),
            &[10],
            &[10],
        );
        assert!(e.unwrap_err().to_string().contains("9 elements"));
        // Past the extent, wrong rank.
        assert!(ok(
            spec(reg(&[(5, 1, 1, 10)]), "a.h5", "x", Selection::All, &[10]),
            &[10],
            &[10]
        )
        .is_err());
        assert!(ok(
            spec(reg(&[(0, 1, 1, 10)]), "a.h5", "x", Selection::All, &[10, 1]),
            &[10],
            &[10]
        )
        .is_ok());
        assert!(ok(
            spec(
                reg(&[(0, 1, 1, 10), (0, 1, 1, 1)]),
                "a.h5",
                "x",
                Selection::All,
                &[10]
            ),
            &[10],
            &[10]
        )
        .is_err());
        // Names.
        assert!(ok(
            spec(Selection::All, "", "x", Selection::All, &[10]),
            &[10],
            &[10]
        )
        .is_err());
        assert!(ok(
            spec(Selection::All, "a.h5", "", Selection::All, &[10]),
            &[10],
            &[10]
        )
        .is_err());
        assert!(ok(
            spec(Selection::All, "a%d.h5", "x", Selection::All, &[10]),
            &[10],
            &[10]
        )
        .is_err());
        assert!(ok(
            spec(Selection::All, "a%%.h5", "x", Selection::All, &[10]),
            &[10],
            &[10]
        )
        .is_ok());
        assert!(ok(
            spec(Selection::All, "a%b.h5", "x", Selection::All, &[10]),
            &[10],
            &[10]
        )
        .is_err());
        // Unlimited both sides.
        let unl = reg(&[(2, 1, 1, u)]);
        assert!(ok(
            spec(unl.clone(), "a.h5", "x", reg(&[(0, 1, 1, u)]), &[7]),
            &[3],
            &[u]
        )
        .is_ok());
        assert!(ok(
            spec(unl.clone(), "a.h5", "x", reg(&[(0, 1, 1, u)]), &[7]),
            &[3],
            &[3]
        )
        .is_err());
        assert!(ok(
            spec(unl.clone(), "a.h5", "x", Selection::All, &[7]),
            &[3],
            &[u]
        )
        .is_err());
        assert!(ok(
            spec(
                reg(&[(0, 1, 1, 3)]),
                "a.h5",
                "x",
                reg(&[(0, 1, 1, u)]),
                &[7]
            ),
            &[3],
            &[u]
        )
        .is_err());
        // printf.
        let pf = reg(&[(0, 5, u, 4)]);
        assert!(ok(
            spec(pf.clone(), "p%b.h5", "d", Selection::All, &[4]),
            &[4],
            &[u]
        )
        .is_ok());
        assert!(ok(
            spec(pf.clone(), "p%b.h5", "d", Selection::All, &[5]),
            &[4],
            &[u]
        )
        .is_err());
        assert!(ok(spec(unl, "p%b.h5", "d", Selection::All, &[4]), &[4], &[u]).is_err());
        // "all" beside an unlimited mapping.
        let two = [
            spec(pf, "p%b.h5", "d", Selection::All, &[4]),
            spec(Selection::All, "a.h5", "x", Selection::All, &[4]),
        ];
        assert!(check_mappings(&two, &[4], &[u]).is_err());
        assert!(check_mappings(&[], &[4], &[4]).is_err());
    }
}
