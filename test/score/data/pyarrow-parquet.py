# Writes the Parquet files test/score/parquet-columns.test.ts decodes: written
# by pyarrow (Arrow's C++ writer, independent of hyparquet-writer), flat
# columns of each type rookery reads, with nulls, several pages per column
# chunk and two row groups, in the page versions and encodings pyarrow writes.
#
#   python3 test/score/data/pyarrow-parquet.py   (pip install pyarrow)
#
# The committed files were written with pyarrow 25.0.1 (see each file's
# created_by); rerunning it rewrites them.
import os
import pyarrow as pa
import pyarrow.parquet as pq

HERE = os.path.dirname(os.path.abspath(__file__))
N = 1200


def value(i, kind):
    if i % 11 == 0:
        return None
    return {
        'id': i * 1_000_003,
        'count': (i * 7) % 500 - 250,
        'mass': 2700 + (i * 37) % 3600 + 0.25,
        'ratio': ((i * 13) % 1000) / 8,
        'flag': i % 3 == 0,
        'island': ['Biscoe', 'Dream', 'Torgersen'][i % 3],
        'note': f'row {i} of {N}',
    }[kind]


TYPES = {'id': pa.int64(), 'count': pa.int32(), 'mass': pa.float64(), 'ratio': pa.float32(), 'flag': pa.bool_(), 'island': pa.string(), 'note': pa.string()}
table = pa.table({name: pa.array([value(i, name) for i in range(N)], type=t) for name, t in TYPES.items()})

VARIANTS = {
    # pyarrow's defaults: data page v1, dictionary pages, snappy
    'pyarrow-v1-dictionary-snappy.parquet': dict(data_page_version='1.0', use_dictionary=True, compression='snappy'),
    'pyarrow-v2-plain-none.parquet': dict(data_page_version='2.0', use_dictionary=False, compression='none'),
    'pyarrow-v2-dictionary-snappy.parquet': dict(data_page_version='2.0', use_dictionary=True, compression='snappy'),
}
for name, options in VARIANTS.items():
    pq.write_table(table, os.path.join(HERE, name), row_group_size=800, data_page_size=1024, write_statistics=False, **options)
