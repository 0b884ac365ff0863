//! TCP connection count: established IPv4 and IPv6 sockets, from
//! /proc/net/tcp and /proc/net/tcp6 (heim 0.1 has no socket reading).

use super::CollectError;

const TCP_TABLES: [&str; 2] = ["/proc/net/tcp", "/proc/net/tcp6"];
/// The `st` column value of an established connection.
const ESTABLISHED: &str = "01";

pub fn collect() -> Result<u32, CollectError> {
    let mut total = 0;
    for path in TCP_TABLES {
        match std::fs::read_to_string(path) {
            Ok(table) => total += count_established(&table),
            // A kernel without IPv6 has no tcp6 table.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && path.ends_with('6') => {}
            Err(source) => return Err(CollectError::Io { path, source }),
        }
    }
    Ok(total)
}

/// Counts rows whose state column says established; the header row has none.
pub fn count_established(table: &str) -> u32 {
    table.lines().skip(1).filter(|line| line.split_whitespace().nth(3) == Some(ESTABLISHED)).count() as u32
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_established_rows_only() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue\n\
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000\n\
   1: 0100007F:1F90 0100007F:9C40 01 00000000:00000000 00:00000000\n\
   2: 0100007F:9C40 0100007F:1F90 01 00000000:00000000 00:00000000\n\
   3: 0100007F:9C41 0100007F:1F90 06 00000000:00000000 00:00000000\n";
        assert_eq!(super::count_established(table), 2);
        assert_eq!(super::count_established(""), 0);
    }
}
