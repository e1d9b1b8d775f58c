//! pandas time values: jangada (`disassemble_pandas_time` / `assemble_pandas_time`) stores a
//! tz-aware `Timestamp`/`DatetimeIndex` as LOCAL WALL-CLOCK nanoseconds
//! (`tz_localize(None)`) plus the zone name; [`crate::Timestamp`] holds the INSTANT
//! (pandas' `.value`). These functions convert between the two with the IANA time-zone
//! database bundled into the binary by `jiff` (feature `tzdb-bundle-always`: no dependency
//! on `/usr/share/zoneinfo`).
//!
//! NaT (`i64::MIN`) passes through unchanged both ways. A wall-clock time in a repeated
//! hour (autumn DST fold) is ambiguous: pandas' `tz_localize` raises there; we take the
//! EARLIER instant, and for a wall-clock time in a skipped hour (spring gap) the instant
//! shifted forward by the gap (jiff's "compatible" rule, as RFC 5545 / Temporal).

use jiff::tz::{Offset, TimeZone};

use crate::error::{Error, Result};
use crate::value::NAT;

/// Resolve a zone name as pandas writes it with `str(tz)`: an IANA name (`Europe/Paris`,
/// `UTC`), or a fixed offset `UTC+01:00` / `UTC-03:30` (`datetime.timezone`'s `str`).
/// The error text names the zone.
pub fn zone(name: &str) -> Result<TimeZone, String> {
    if let Some(offset) = fixed_offset(name) {
        return Ok(TimeZone::fixed(offset));
    }
    TimeZone::get(name).map_err(|e| format!("unknown time zone {name:?}: {e}"))
}

fn fixed_offset(name: &str) -> Option<Offset> {
    let rest = name.strip_prefix("UTC")?;
    let (sign, hm) = match rest.strip_prefix('+') {
        Some(hm) => (1, hm),
        None => (-1, rest.strip_prefix('-')?),
    };
    let (h, m) = hm.split_once(':')?;
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return None;
    }
    Offset::from_seconds(sign * (h * 3600 + m * 60)).ok()
}

fn out_of_range(ns: i64, tz: &str) -> Error {
    Error::Unsupported(format!(
        "time {ns} ns in zone {tz:?} is outside the range of 64-bit nanoseconds"
    ))
}

/// Instant nanoseconds -> wall-clock nanoseconds in `tz` (what jangada stores).
pub fn instant_to_wall(ns: i64, tz: &TimeZone, name: &str) -> Result<i64> {
    if ns == NAT {
        return Ok(NAT);
    }
    let ts =
        jiff::Timestamp::from_nanosecond(i128::from(ns)).map_err(|_| out_of_range(ns, name))?;
    let offset = i64::from(tz.to_offset(ts).seconds());
    offset
        .checked_mul(1_000_000_000)
        .and_then(|o| ns.checked_add(o))
        .filter(|&w| w != NAT)
        .ok_or_else(|| out_of_range(ns, name))
}

/// Wall-clock nanoseconds in `tz` -> instant nanoseconds (what pandas' `.value` gives after
/// `tz_localize`), earlier instant on a fold, shifted forward in a gap.
pub fn wall_to_instant(wall: i64, tz: &TimeZone, name: &str) -> Result<i64> {
    if wall == NAT {
        return Ok(NAT);
    }
    let ts =
        jiff::Timestamp::from_nanosecond(i128::from(wall)).map_err(|_| out_of_range(wall, name))?;
    let civil = TimeZone::UTC.to_datetime(ts);
    let instant = tz
        .to_ambiguous_timestamp(civil)
        .compatible()
        .map_err(|_| out_of_range(wall, name))?;
    i64::try_from(instant.as_nanosecond())
        .ok()
        .filter(|&n| n != NAT)
        .ok_or_else(|| out_of_range(wall, name))
}

/// Convert many instants to wall-clock times (`tz = None`: naive, unchanged).
pub fn to_wall(ns: &[i64], tz: Option<&str>) -> Result<Vec<i64>> {
    match tz {
        None => Ok(ns.to_vec()),
        Some(name) => {
            let z = zone(name).map_err(Error::Unsupported)?;
            ns.iter().map(|&n| instant_to_wall(n, &z, name)).collect()
        }
    }
}

/// Convert many wall-clock times to instants (`tz = None`: naive, unchanged).
pub fn to_instant(wall: &[i64], tz: Option<&str>) -> Result<Vec<i64>> {
    match tz {
        None => Ok(wall.to_vec()),
        Some(name) => {
            let z = zone(name).map_err(Error::Format)?;
            wall.iter().map(|&w| wall_to_instant(w, &z, name)).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    const S: i64 = 1_000_000_000;

    #[test]
    fn paris_summer_and_winter() {
        // 2024-07-01T12:00Z is 14:00 CEST (+2); 2024-01-01T12:00Z is 13:00 CET (+1).
        let summer = 1_719_835_200 * S;
        let winter = 1_704_110_400 * S;
        let w = to_wall(&[summer, winter, NAT], Some("Europe/Paris")).unwrap();
        assert_eq!(w, vec![summer + 2 * 3600 * S, winter + 3600 * S, NAT]);
        assert_eq!(
            to_instant(&w, Some("Europe/Paris")).unwrap(),
            vec![summer, winter, NAT]
        );
    }

    #[test]
    fn fold_takes_the_earlier_instant_and_gap_shifts_forward() {
        // Paris 2024-10-27: 03:00 CEST -> 02:00 CET; wall 02:30 happens twice.
        let first = 1_729_989_000 * S; // 00:30Z = 02:30 CEST
        let second = first + 3600 * S; // 01:30Z = 02:30 CET
        let z = zone("Europe/Paris").unwrap();
        let w1 = instant_to_wall(first, &z, "p").unwrap();
        let w2 = instant_to_wall(second, &z, "p").unwrap();
        assert_eq!(w1, w2);
        assert_eq!(wall_to_instant(w1, &z, "p").unwrap(), first);
        // 2024-03-31 02:30 does not exist in Paris: 01:30Z (03:30 CEST).
        let gap_wall = 1_711_852_200 * S; // 2024-03-31T02:30 as if UTC
        assert_eq!(
            wall_to_instant(gap_wall, &z, "p").unwrap(),
            gap_wall - 3600 * S
        );
    }

    #[test]
    fn fixed_offsets_utc_and_unknown_zones() {
        assert_eq!(to_wall(&[0], Some("UTC")).unwrap(), vec![0]);
        assert_eq!(to_wall(&[0], Some("UTC+01:30")).unwrap(), vec![5400 * S]);
        assert_eq!(
            to_wall(&[0], Some("UTC-03:00")).unwrap(),
            vec![-3 * 3600 * S]
        );
        assert_eq!(
            to_wall(&[0], Some("Asia/Tokyo")).unwrap(),
            vec![9 * 3600 * S]
        );
        let e = to_wall(&[0], Some("Mars/Olympus")).unwrap_err().to_string();
        assert!(
            e.starts_with("cannot save: unknown time zone \"Mars/Olympus\""),
            "{e}"
        );
        assert!(to_wall(&[i64::MAX - 1], Some("Asia/Tokyo")).is_err());
    }
}
