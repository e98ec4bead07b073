#include "storeschema.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStringList>

namespace nestscope {

namespace {

// Each entry takes the file from version i to i + 1. Append; never edit a released step.
const QList<QStringList> &migrations()
{
    static const QList<QStringList> steps {
        // 0 -> 1: runs with everything that explains them, samples with everything measured.
        {
            QStringLiteral("CREATE TABLE runs ("
                           " id INTEGER PRIMARY KEY,"
                           " name TEXT NOT NULL DEFAULT '',"
                           " plan_name TEXT NOT NULL DEFAULT '',"
                           " plan_file TEXT NOT NULL DEFAULT '',"
                           " plan_text TEXT NOT NULL DEFAULT '',"
                           " variables TEXT NOT NULL DEFAULT '{}'," // JSON object
                           " topology TEXT," // JSON snapshot, NULL when none was taken
                           " host TEXT NOT NULL DEFAULT '',"
                           " probes TEXT NOT NULL DEFAULT '[]'," // JSON array: the row order
                           " targets TEXT NOT NULL DEFAULT '[]'," // JSON array: the column order
                           " started_at INTEGER," // ms since the epoch, UTC
                           " finished_at INTEGER,"
                           " status TEXT NOT NULL DEFAULT 'running'"
                           "  CHECK (status IN ('running', 'finished', 'cancelled', 'interrupted')),"
                           " tags TEXT NOT NULL DEFAULT '[]'," // JSON array
                           " notes TEXT NOT NULL DEFAULT '',"
                           // Counters kept by the writer so the run list never scans samples.
                           " n_samples INTEGER NOT NULL DEFAULT 0,"
                           " n_pass INTEGER NOT NULL DEFAULT 0,"
                           " n_fail INTEGER NOT NULL DEFAULT 0,"
                           " n_timeout INTEGER NOT NULL DEFAULT 0,"
                           " n_error INTEGER NOT NULL DEFAULT 0,"
                           " n_skipped INTEGER NOT NULL DEFAULT 0)"),
            QStringLiteral("CREATE TABLE samples ("
                           " id INTEGER PRIMARY KEY," // completion order
                           " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
                           " probe TEXT NOT NULL,"
                           " target TEXT NOT NULL,"
                           " repetition INTEGER NOT NULL,"
                           " status TEXT NOT NULL"
                           "  CHECK (status IN ('pass', 'fail', 'timeout', 'error', 'skipped')),"
                           " latency_ms REAL NOT NULL,"
                           " exit_code INTEGER NOT NULL,"
                           " signal INTEGER NOT NULL DEFAULT 0,"
                           " phases TEXT," // JSON object of ms, NULL when the probe has none
                           " command TEXT NOT NULL DEFAULT '',"
                           " stdout BLOB,"
                           " stderr BLOB,"
                           " stdout_truncated INTEGER NOT NULL DEFAULT 0,"
                           " stderr_truncated INTEGER NOT NULL DEFAULT 0,"
                           " message TEXT NOT NULL DEFAULT '',"
                           " started_at INTEGER)"),
            QStringLiteral("CREATE INDEX samples_by_run ON samples (run_id, id)"),
            QStringLiteral("CREATE INDEX runs_by_start ON runs (started_at)"),
        },
    };
    return steps;
}

QString sqlError(const QSqlError &e)
{
    return e.databaseText().isEmpty() ? e.text() : e.databaseText();
}

} // namespace

int storeSchemaVersion()
{
    return static_cast<int>(migrations().size());
}

Result<int> storeFileVersion(QSqlDatabase &db)
{
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("PRAGMA user_version")) || !q.next()) {
        // The first read of the header is where "file is not a database" shows up.
        return Error { QStringLiteral("cannot read it as an SQLite database: %1").arg(sqlError(q.lastError())),
            QString() };
    }
    const int version = q.value(0).toInt();
    const int latest = storeSchemaVersion();
    if (version > latest) {
        return Error { QStringLiteral("it was written by a newer Nestscope (store schema %1; this build knows up to "
                                      "%2). Open it with that version, or choose another store file.")
                           .arg(version)
                           .arg(latest),
            QString() };
    }
    return version;
}

Result<int> migrateStore(QSqlDatabase &db)
{
    const auto current = storeFileVersion(db);
    if (!current) {
        return current;
    }
    const int version = *current;
    const int latest = storeSchemaVersion();
    QSqlQuery q(db);
    for (int v = version; v < latest; ++v) {
        if (!db.transaction()) {
            return Error {
                QStringLiteral("cannot start the upgrade to schema %1: %2").arg(v + 1).arg(sqlError(db.lastError())),
                QString()
            };
        }
        QStringList statements = migrations().at(v);
        statements << QStringLiteral("PRAGMA user_version = %1").arg(v + 1);
        for (const QString &sql : std::as_const(statements)) {
            if (!q.exec(sql)) {
                const QString why = sqlError(q.lastError());
                db.rollback();
                return Error { QStringLiteral("cannot upgrade it to schema %1: %2").arg(v + 1).arg(why), QString() };
            }
        }
        if (!db.commit()) {
            const QString why = sqlError(db.lastError());
            db.rollback();
            return Error { QStringLiteral("cannot upgrade it to schema %1: %2").arg(v + 1).arg(why), QString() };
        }
    }
    return version;
}

} // namespace nestscope
