/* For modules inside the library that query the archive with their own SQL
 * (the sweep): the connection behind an rv_store. Not installed. */
#ifndef RV_STORE_PRIVATE_H
#define RV_STORE_PRIVATE_H

#include <sqlite3.h>

#include "rostvakt/store.h"

sqlite3 *rv_store_sqlite(rv_store *s);

#endif
