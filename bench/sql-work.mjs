// The sql.js workload, shared by workload.mjs (Node) and browser.mjs (Chromium,
// which passes this function's source into the page): 20,000 inserts and 40
// queries on a fresh database. Returns the rows the queries read (2,901).
export function sqlWork(SQL) {
  const db = new SQL.Database();
  db.run('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, tag TEXT)');
  db.run('CREATE INDEX t_tag ON t(tag)');
  const insert = db.prepare('INSERT INTO t (name, score, tag) VALUES (?, ?, ?)');
  db.run('BEGIN');
  for (let i = 0; i < 20000; i++) insert.run([`name-${i}-${'x'.repeat(i % 40)}`, ((i * 7919) % 1000) / 10, `tag${i % 100}`]);
  db.run('COMMIT');
  insert.free();
  let rows = 0;
  for (let q = 0; q < 20; q++) {
    rows += db.exec(`SELECT tag, count(*), avg(score) FROM t WHERE name LIKE '%-${q}%' GROUP BY tag ORDER BY 3 DESC`)[0]?.values.length ?? 0;
    rows += db.exec(`SELECT name FROM t WHERE tag = 'tag${q}' ORDER BY score LIMIT 50`)[0]?.values.length ?? 0;
  }
  db.close();
  return rows;
}
