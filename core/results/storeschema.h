#pragma once

#include "common/result.h"

class QSqlDatabase;

namespace nestscope {

/// Brings an open SQLite connection to the store's current schema (PRAGMA user_version),
/// one step per version, each in its own transaction. A file written by a newer Nestscope is
/// left untouched and refused. Returns the version the file had before.
Result<int> migrateStore(QSqlDatabase &db);

/// The schema version of the file, or an error when it is not a store this build can read: not
/// SQLite, another application's database (another application_id, or tables that are not a
/// store's), or from a newer Nestscope. An empty database (no tables, user_version 0) is a store
/// at version 0. Reads only; call it before anything writes.
Result<int> storeFileVersion(QSqlDatabase &db);

/// The schema version this build writes.
int storeSchemaVersion();

/// What a store carries in PRAGMA application_id, so it is told from other SQLite files.
int storeApplicationId();

} // namespace nestscope
