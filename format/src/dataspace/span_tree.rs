//! libhdf5's span trees for irregular hyperslabs (`H5S_hyper_span_info_t`): on each axis
//! a sorted list of disjoint spans, each with the tree of the axes below it; neighbouring
//! spans with equal trees below are merged. Built here from a list of blocks (their
//! union), the tree is canonical: libhdf5 gives the same blocks for the same set of
//! elements, in the same order, whatever order the blocks were stored in.

use crate::error::{Error, Result};

use super::selection::{HyperBlock, Run};

/// Most block-interval pairs examined while building one tree (guards against hostile
/// block lists).
const BUILD_BUDGET: u64 = 1 << 26;

/// A span `[lo, hi]` on one axis and the spans of the next axes under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    /// First position.
    pub lo: u64,
    /// Last position (inclusive).
    pub hi: u64,
    /// Spans of the next axis (empty on the last axis).
    pub down: Vec<Span>,
}

/// A canonical span tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpanTree {
    rank: usize,
    spans: Vec<Span>,
}

impl SpanTree {
    /// The union of `blocks` (each already checked: start <= end on every axis).
    pub fn from_blocks(rank: usize, blocks: &[HyperBlock]) -> Result<SpanTree> {
        let refs: Vec<&HyperBlock> = blocks.iter().collect();
        let mut budget = BUILD_BUDGET;
        Ok(SpanTree {
            rank,
            spans: build(&refs, 0, rank, &mut budget)?,
        })
    }

    /// The top-level spans.
    pub fn spans(&self) -> &[Span] {
        &self.spans
    }

    /// Number of selected elements (`None` on overflow).
    pub fn count(&self) -> Option<u64> {
        fn count(spans: &[Span]) -> Option<u64> {
            spans.iter().try_fold(0u64, |acc, s| {
                let below = if s.down.is_empty() {
                    1
                } else {
                    count(&s.down)?
                };
                acc.checked_add((s.hi - s.lo + 1).checked_mul(below)?)
            })
        }
        count(&self.spans)
    }

    /// Bounding box per axis (`None` when empty).
    pub fn bounds(&self) -> Option<Vec<(u64, u64)>> {
        let mut b: Vec<Option<(u64, u64)>> = vec![None; self.rank];
        fn walk(spans: &[Span], level: usize, b: &mut [Option<(u64, u64)>]) {
            for s in spans {
                if let Some(slot) = b.get_mut(level) {
                    let v = slot.get_or_insert((s.lo, s.hi));
                    v.0 = v.0.min(s.lo);
                    v.1 = v.1.max(s.hi);
                }
                walk(&s.down, level + 1, b);
            }
        }
        walk(&self.spans, 0, &mut b);
        b.into_iter().collect()
    }

    /// The blocks in `H5Sget_select_hyper_blocklist`'s order (at most `limit`).
    pub fn blocks(&self, limit: usize) -> Result<Vec<HyperBlock>> {
        fn walk(
            spans: &[Span],
            prefix: &mut Vec<(u64, u64)>,
            rank: usize,
            out: &mut Vec<HyperBlock>,
            limit: usize,
        ) -> Result<()> {
            for s in spans {
                prefix.push((s.lo, s.hi));
                if prefix.len() == rank {
                    if out.len() >= limit {
                        return Err(Error::LimitExceeded(format!(
                            "selection has more than {limit} blocks"
                        )));
                    }
                    out.push(HyperBlock {
                        start: prefix.iter().map(|p| p.0).collect(),
                        end: prefix.iter().map(|p| p.1).collect(),
                    });
                } else {
                    walk(&s.down, prefix, rank, out, limit)?;
                }
                prefix.pop();
            }
            Ok(())
        }
        let mut out = Vec::new();
        walk(&self.spans, &mut Vec::new(), self.rank, &mut out, limit)?;
        Ok(out)
    }

    /// The runs along the last axis, row-major.
    pub fn runs(&self) -> TreeRuns<'_> {
        let mut it = TreeRuns {
            stack: Vec::new(),
            rank: self.rank,
            started: false,
        };
        if self.rank > 0 && !self.spans.is_empty() {
            it.stack
                .push((&self.spans, 0, self.spans.first().map_or(0, |s| s.lo)));
        }
        it
    }
}

fn build(blocks: &[&HyperBlock], level: usize, rank: usize, budget: &mut u64) -> Result<Vec<Span>> {
    let mut points: Vec<u64> = Vec::with_capacity(blocks.len() * 2);
    for b in blocks {
        if let (Some(&s), Some(&e)) = (b.start.get(level), b.end.get(level)) {
            points.push(s);
            points.push(e.saturating_add(1));
        }
    }
    points.sort_unstable();
    points.dedup();
    let mut out: Vec<Span> = Vec::new();
    for w in points.windows(2) {
        let (&[p, q], true) = (w, true) else { continue };
        let cost = blocks.len() as u64;
        *budget = budget.checked_sub(cost).ok_or_else(|| {
            Error::LimitExceeded("hyperslab selection has too many overlapping blocks".into())
        })?;
        let covering: Vec<&HyperBlock> = blocks
            .iter()
            .copied()
            .filter(|b| {
                b.start.get(level).is_some_and(|&s| s <= p)
                    && b.end.get(level).is_some_and(|&e| e >= q - 1)
            })
            .collect();
        if covering.is_empty() {
            continue;
        }
        let down = if level + 1 < rank {
            let d = build(&covering, level + 1, rank, budget)?;
            if d.is_empty() {
                continue;
            }
            d
        } else {
            Vec::new()
        };
        match out.last_mut() {
            Some(last) if last.hi + 1 == p && last.down == down => last.hi = q - 1,
            _ => out.push(Span {
                lo: p,
                hi: q - 1,
                down,
            }),
        }
    }
    Ok(out)
}

/// Iterator over the runs of a [`SpanTree`].
#[derive(Debug)]
pub struct TreeRuns<'a> {
    /// Per outer level: (spans, index of the current span, current position in it); the
    /// last entry is the innermost level whose spans are runs.
    stack: Vec<(&'a [Span], usize, u64)>,
    rank: usize,
    started: bool,
}

impl TreeRuns<'_> {
    /// Descend from the top of the stack to the last axis.
    fn descend(&mut self) {
        while self.stack.len() < self.rank {
            let Some(&(spans, i, _)) = self.stack.last() else {
                return;
            };
            let Some(s) = spans.get(i) else { return };
            self.stack
                .push((&s.down, 0, s.down.first().map_or(0, |d| d.lo)));
        }
    }

    /// Move to the next run position; false when finished.
    fn advance(&mut self) -> bool {
        loop {
            let depth = self.stack.len();
            let Some((spans, i, pos)) = self.stack.last_mut() else {
                return false;
            };
            let Some(s) = spans.get(*i) else { return false };
            if depth < self.rank && *pos < s.hi {
                *pos += 1;
            } else if let Some(next) = spans.get(*i + 1) {
                *i += 1;
                *pos = next.lo;
            } else {
                self.stack.pop();
                continue;
            }
            self.descend();
            return self.stack.len() == self.rank;
        }
    }
}

impl Iterator for TreeRuns<'_> {
    type Item = Run;

    fn next(&mut self) -> Option<Run> {
        if !self.started {
            self.started = true;
            self.descend();
            if self.stack.len() != self.rank {
                return None;
            }
        } else if !self.advance() {
            return None;
        }
        let (spans, i, _) = self.stack.last()?;
        let s = spans.get(*i)?;
        let mut start: Vec<u64> = self
            .stack
            .iter()
            .take(self.rank - 1)
            .map(|&(_, _, pos)| pos)
            .collect();
        start.push(s.lo);
        Some(Run {
            start,
            len: s.hi - s.lo + 1,
        })
    }
}
