/** How a client command prints what it got: `--output table|json|yaml` (table by default). */
export const FORMATS = ['table', 'json', 'yaml'] as const;
export type Format = (typeof FORMATS)[number];

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

/** A column of the field `key`, headed by it. */
export const field = <T extends object>(key: keyof T & string, header: string = key): Column<T> =>
  ({ header, value: (row) => row[key] });

/** A value as a table cell: nothing for null, lists joined, objects as JSON. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(cell).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

async function table(head: string[], rows: string[][]): Promise<string> {
  const { default: Table } = await import('cli-table3');
  const t = new Table({ head, style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' } });
  t.push(...rows);
  return `${t.toString()}\n`;
}

/** The data itself as JSON or YAML. */
async function serialised(format: 'json' | 'yaml', data: unknown): Promise<string> {
  if (format === 'json') return `${JSON.stringify(data, null, 2)}\n`;
  const { stringify } = await import('yaml');
  return stringify(data);
}

/** Rows: a table of `columns`, or the rows whole as JSON or YAML. */
export async function printList<T>(format: Format, rows: readonly T[], columns: readonly Column<T>[]): Promise<void> {
  process.stdout.write(format === 'table'
    ? await table(columns.map((c) => c.header), rows.map((r) => columns.map((c) => cell(c.value(r)))))
    : await serialised(format, rows));
}

/** One object: a Field/Value table of its fields (all of them, or `fields`), or the object whole. */
export async function printObject(format: Format, object: object, fields?: readonly string[]): Promise<void> {
  const entries = Object.entries(object).filter(([k]) => fields === undefined || fields.includes(k));
  process.stdout.write(format === 'table'
    ? await table(['Field', 'Value'], entries.map(([k, v]) => [k, cell(v)]))
    : await serialised(format, object));
}
