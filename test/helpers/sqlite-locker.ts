/**
 * Another process holding SQLite's write lock, as `sqlite3 ims.db 'BEGIN IMMEDIATE; ...'` would: run as a
 * child with the database file; it takes the lock, writes a row, prints "locked", and holds the lock until
 * its stdin ends, then rolls back and exits.
 */
import BetterSqlite3 from 'better-sqlite3';

const db = new BetterSqlite3(process.argv[2]!, { timeout: 10_000 });
db.exec('BEGIN IMMEDIATE');
db.exec("INSERT INTO settings (key, value) VALUES ('sqlite-locker', 'held')");
process.stdout.write('locked\n');
process.stdin.resume();
process.stdin.on('end', () => {
  db.exec('ROLLBACK');
  db.close();
  process.exit(0);
});
