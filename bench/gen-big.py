# Generates big.c: N functions that compute, allocate, call two earlier functions and
# free, so that the 10 MB module of the instrumentation-speed bench is real code with
# thousands of allocation sites. Deterministic: same N, same file.
import sys

N = int(sys.argv[1]) if len(sys.argv) > 1 else 14000
out = ['#include <stdlib.h>', '#include <string.h>', 'volatile unsigned sink;']
out += [f'unsigned f{i}(int d, unsigned x);' for i in range(N)]
for i in range(N):
    a, b = (i * 7919) % max(i, 1), (i * 104729) % max(i, 1)
    calls = f'  if (d > 0) {{ acc += f{a}(d - 1, x ^ {i}u); acc += f{b}(d - 1, x + {i}u); }}\n' if i > 1 else ''
    out.append(f'''unsigned f{i}(int d, unsigned x) {{
  unsigned acc = x * {i * 31 + 7}u;
  char *p = malloc({16 + i % 200});
  for (int k = 0; k < {4 + i % 13}; k++) {{ acc = acc * 1103515245u + {i}u; p[k] = (char)acc; }}
  memset(p + 4, (int)acc, 8);
  acc ^= (unsigned)p[3];
  switch (acc % 5) {{ case 0: acc += 3; break; case 1: acc *= 7; break; case 2: acc -= 11; break; default: acc ^= 0x55; }}
{calls}  free(p);
  return acc;
}}''')
out.append(f'int main(void) {{ sink = f{N - 1}(3, 1); return 0; }}')
sys.stdout.write('\n'.join(out) + '\n')
