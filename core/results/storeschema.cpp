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
        // 1 -> 2: experiments, the fixes tried on a runner: what changed, how to undo it, the outcome.
        {
            QStringLiteral("CREATE TABLE experiments ("
                           " id INTEGER PRIMARY KEY,"
                           " runner TEXT NOT NULL DEFAULT '',"
                           " finding_id TEXT NOT NULL DEFAULT '',"
                           " title TEXT NOT NULL DEFAULT '',"
                           " steps TEXT NOT NULL DEFAULT '[]'," // JSON array of {command, revert, note}
                           " applied INTEGER NOT NULL DEFAULT 0,"
                           " state TEXT NOT NULL"
                           "  CHECK (state IN ('applying', 'applied', 'failed', 'reverting', 'reverted', 'kept')),"
                           " baseline_run INTEGER REFERENCES runs(id) ON DELETE SET NULL,"
                           " after_run INTEGER REFERENCES runs(id) ON DELETE SET NULL,"
                           " revert_run INTEGER REFERENCES runs(id) ON DELETE SET NULL,"
                           " outcome TEXT NOT NULL DEFAULT '',"
                           " error TEXT NOT NULL DEFAULT '',"
                           " log TEXT NOT NULL DEFAULT '',"
                           " created_at INTEGER,"
                           " updated_at INTEGER)"),
        },
    };
    return steps;
}

QString sqlError(const QSqlError &e)
{
    return e.databaseText().isEmpty() ? e.text() : e.databaseText();
}

} // namespace

int storeApplicationId()
{
    return 0x4E657374; // "Nest"
}

namespace {

QVariant pragma(QSqlDatabase &db, const QString &name, QString *error)
{
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("PRAGMA ") + name) || !q.next()) {
        *error = sqlError(q.lastError());
        return {};
    }
    return q.value(0);
}

QString notAStore(const QString &why)
{
    return QStringLiteral("it is not a Nestscope run store (%1); it was left as it is. Choose another file, or a "
                          "new one.")
        .arg(why);
}

} // namespace

int storeSchemaVersion()
{
    return static_cast<int>(migrations().size());
}

Result<int> storeFileVersion(QSqlDatabase &db)
{
    QString error;
    const QVariant userVersion = pragma(db, QStringLiteral("user_version"), &error);
    if (!userVersion.isValid()) {
        // The first read of the header is where "file is not a database" shows up.
        return Error { QStringLiteral("cannot read it as an SQLite database: %1").arg(error), QString() };
    }
    const int version = userVersion.toInt();
    const int latest = storeSchemaVersion();
    const QVariant applicationId = pragma(db, QStringLiteral("application_id"), &error);
    QSqlQuery q(db);
    QStringList objects; // tables, views, triggers; indexes come with their tables
    if (!applicationId.isValid()
        || !q.exec(QStringLiteral("SELECT name FROM sqlite_master WHERE type <> 'index' ORDER BY name"))) {
        return Error {
            QStringLiteral("cannot read its schema: %1").arg(error.isEmpty() ? sqlError(q.lastError()) : error),
            QString()
        };
    }
    while (q.next()) {
        objects << q.value(0).toString();
    }
    q.finish();
    // Another application's database must never gain our tables, our user_version or WAL mode.
    // Ours carry our application_id; stores from before it was set are known by their tables.
    if (applicationId.toInt() != storeApplicationId()) {
        if (applicationId.toInt() != 0) {
            return Error { notAStore(QStringLiteral("it belongs to another application: application_id %1")
                                         .arg(QStringLiteral("0x%1").arg(
                                             quint32(applicationId.toInt()), 8, 16, QLatin1Char('0')))),
                QString() };
        }
        const bool empty = objects.isEmpty() && version == 0;
        const bool olderStore
            = objects.contains(QStringLiteral("runs")) && objects.contains(QStringLiteral("samples")) && version >= 1;
        const bool newerEmpty = objects.isEmpty() && version > latest; // a store, as far as one can tell
        if (!empty && !olderStore && !newerEmpty) {
            if (objects.isEmpty()) {
                return Error { notAStore(QStringLiteral("it is empty but its user_version is %1").arg(version)),
                    QString() };
            }
            const int shown = 5;
            QString names = objects.mid(0, shown).join(QStringLiteral(", "));
            if (objects.size() > shown) {
                names += QStringLiteral(" and %1 more").arg(objects.size() - shown);
            }
            return Error { notAStore(QStringLiteral("it holds another application's data: %1").arg(names)), QString() };
        }
    }
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
    // New stores, and those from before stores were stamped, get our application_id.
    QString error;
    if (pragma(db, QStringLiteral("application_id"), &error).toInt() != storeApplicationId()
        && !q.exec(QStringLiteral("PRAGMA application_id = %1").arg(storeApplicationId()))) {
        return Error { QStringLiteral("cannot mark it as a run store: %1").arg(sqlError(q.lastError())), QString() };
    }
    return version;
}

} // namespace nestscope
