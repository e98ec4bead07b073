#include "runstore.h"

#include "common/logging.h"
#include "runjson.h"
#include "storeschema.h"

#include <QAtomicInteger>
#include <QDir>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMutex>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QStringEncoder>
#include <QThread>
#include <QTimer>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <span>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>
#include <vector>

namespace nestscope {

namespace {

QAtomicInteger<quint64> g_connectionCounter;

QString sqlError(const QSqlError &e)
{
    return e.databaseText().isEmpty() ? e.text() : e.databaseText();
}

QVariant msOrNull(const QDateTime &t)
{
    return t.isValid() ? QVariant(t.toMSecsSinceEpoch()) : QVariant(QMetaType(QMetaType::LongLong));
}

QDateTime timeFrom(const QVariant &v)
{
    return v.isNull() ? QDateTime() : QDateTime::fromMSecsSinceEpoch(v.toLongLong(), Qt::UTC);
}

/// SQLite keeps a null QString as NULL; the store's text columns are NOT NULL.
QString text(const QString &s)
{
    return s.isNull() ? QStringLiteral("") : s;
}

QString listToJson(const QStringList &list)
{
    return QString::fromUtf8(QJsonDocument(QJsonArray::fromStringList(list)).toJson(QJsonDocument::Compact));
}

QStringList listFromJson(const QString &text)
{
    QStringList list;
    for (const QJsonValue &v : QJsonDocument::fromJson(text.toUtf8()).array()) {
        list << v.toString();
    }
    return list;
}

QString phasesToJson(const QMap<QString, double> &phases)
{
    // By hand: QJsonDocument costs more than the insert itself. Keys are phase names; escape anyway.
    if (phases.isEmpty()) {
        return QString();
    }
    QString out;
    out.reserve(24 * phases.size());
    out += QLatin1Char('{');
    for (auto it = phases.cbegin(); it != phases.cend(); ++it) {
        if (it != phases.cbegin()) {
            out += QLatin1Char(',');
        }
        out += QLatin1Char('"');
        for (QChar c : it.key()) {
            if (c == QLatin1Char('"') || c == QLatin1Char('\\')) {
                out += QLatin1Char('\\');
                out += c;
            } else if (c.unicode() < 0x20) {
                out += QStringLiteral("\\u%1").arg(c.unicode(), 4, 16, QLatin1Char('0'));
            } else {
                out += c;
            }
        }
        out += QStringLiteral("\":");
        if (std::isfinite(it.value())) {
            char buf[32]; // shortest text that reads back as the same double
            const auto end = std::to_chars(buf, buf + sizeof buf, it.value()).ptr;
            out += QLatin1StringView(buf, end - buf);
        } else {
            out += QStringLiteral("null");
        }
    }
    out += QLatin1Char('}');
    return out;
}

} // namespace

/// A run's "still being written" mark: an flock() on a file beside the store. The kernel drops
/// it when the process dies however it dies, so a later open can tell a live run from a dead one
/// without trusting PIDs.
class RunLock {
public:
    static QString pathFor(const QString &store, qint64 runId)
    {
        return store + QStringLiteral(".run-%1.lock").arg(runId);
    }

    /// Takes the lock without waiting; false when someone holds it (or the file cannot be made).
    bool tryLock(const QString &path)
    {
        m_path = path;
        m_fd = ::open(QFile::encodeName(path).constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (m_fd < 0) {
            return false;
        }
        if (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
            ::close(m_fd);
            m_fd = -1;
            return false;
        }
        return true;
    }

    /// Drops the lock and removes the file (only its holder may remove it).
    void release()
    {
        if (m_fd >= 0) {
            ::unlink(QFile::encodeName(m_path).constData());
            ::close(m_fd);
            m_fd = -1;
        }
    }

    ~RunLock() { release(); }

private:
    QString m_path;
    int m_fd = -1;
};

QString toText(RunStatus status)
{
    switch (status) {
    case RunStatus::Running:
        return QStringLiteral("running");
    case RunStatus::Finished:
        return QStringLiteral("finished");
    case RunStatus::Cancelled:
        return QStringLiteral("cancelled");
    case RunStatus::Interrupted:
        return QStringLiteral("interrupted");
    }
    return QStringLiteral("interrupted");
}

std::optional<RunStatus> runStatusFromString(const QString &text)
{
    for (auto s : { RunStatus::Running, RunStatus::Finished, RunStatus::Cancelled, RunStatus::Interrupted }) {
        if (toText(s) == text) {
            return s;
        }
    }
    return std::nullopt;
}

QString RunInfo::displayName() const
{
    if (!name.isEmpty()) {
        return name;
    }
    const QString when = startedAt.isValid() ? startedAt.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"))
                                             : QStringLiteral("not started");
    return QStringLiteral("%1 · %2").arg(planName.isEmpty() ? QStringLiteral("run %1").arg(id) : planName, when);
}

/// The sqlite3 handle under a QtSql connection, when it is safe to drive it directly: QtSql's
/// SQLite must be the library we link (distributions build the plugin against the system
/// SQLite; a Qt with its own bundled copy would show another version and gets the QtSql path).
sqlite3 *nativeHandle(const QSqlDatabase &db)
{
    if (qEnvironmentVariableIsSet("NESTSCOPE_STORE_QTSQL_ONLY")) {
        return nullptr; // the portable path, forced (tests run both)
    }
    const QVariant v = db.driver()->handle();
    if (!v.isValid() || qstrcmp(v.typeName(), "sqlite3*") != 0) {
        return nullptr;
    }
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("SELECT sqlite_version()")) || !q.next()
        || q.value(0).toString() != QLatin1String(sqlite3_libversion())) {
        qCInfo(lcResults) << "QtSql's SQLite is not the one Nestscope links; using the slower QtSql bindings";
        return nullptr;
    }
    return *static_cast<sqlite3 *const *>(v.constData());
}

/// Inserts samples and bumps the run's counters, inside the caller's transaction.
/// QSqlQuery::bindValue() formats a placeholder name per value, which made a 16-column insert cost
/// ~20 us; straight sqlite3 binds on the same connection cost a few, so that path is used when safe.
class SampleInserter {
    static constexpr const char *kInsert
        = "INSERT INTO samples (run_id, probe, target, repetition, status, latency_ms, exit_code, signal,"
          " phases, command, stdout, stderr, stdout_truncated, stderr_truncated, message, started_at)"
          " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

public:
    explicit SampleInserter(const QSqlDatabase &db, bool allowNative = true)
        : m_insert(db)
        , m_counters(db)
        , m_handle(allowNative ? nativeHandle(db) : nullptr)
    {
    }

    ~SampleInserter()
    {
        if (m_stmt) {
            sqlite3_finalize(m_stmt);
        }
    }

    Q_DISABLE_COPY_MOVE(SampleInserter)

    bool isNative() const { return m_stmt != nullptr; }

    bool prepare()
    {
        if (m_handle
            && sqlite3_prepare_v3(m_handle, kInsert, -1, SQLITE_PREPARE_PERSISTENT, &m_stmt, nullptr) != SQLITE_OK) {
            m_nativeError = QString::fromUtf8(sqlite3_errmsg(m_handle));
            return false;
        }
        return (m_stmt || m_insert.prepare(QString::fromLatin1(kInsert)))
            && m_counters.prepare(QStringLiteral(
                "UPDATE runs SET n_samples = n_samples + ?, n_pass = n_pass + ?, n_fail = n_fail + ?,"
                " n_timeout = n_timeout + ?, n_error = n_error + ?, n_skipped = n_skipped + ? WHERE id = ?"));
    }

    bool insert(qint64 runId, const Sample &s)
    {
        const QString phases = phasesToJson(s.phasesMs);
        const QString status = toText(s.status);
        if (!(m_stmt ? insertNative(runId, s, status, phases) : insertQt(runId, s, status, phases))) {
            return false;
        }
        Counts &c = m_pending[runId];
        ++c.n[0];
        ++c.n[1 + static_cast<int>(s.status)];
        return true;
    }

    /// Writes the counters of what insert() added since the last call.
    bool updateCounters()
    {
        for (auto it = m_pending.cbegin(); it != m_pending.cend(); ++it) {
            for (int i = 0; i < 6; ++i) {
                m_counters.bindValue(i, it->n[i]);
            }
            m_counters.bindValue(6, it.key());
            if (!m_counters.exec()) {
                return false;
            }
        }
        m_pending.clear();
        return true;
    }

    void discard() { m_pending.clear(); }
    QString error() const
    {
        if (!m_nativeError.isEmpty()) {
            return m_nativeError;
        }
        return sqlError(m_insert.lastError().isValid() ? m_insert.lastError() : m_counters.lastError());
    }

private:
    bool insertQt(qint64 runId, const Sample &s, const QString &status, const QString &phases)
    {
        m_insert.bindValue(0, runId);
        m_insert.bindValue(1, text(s.probeId));
        m_insert.bindValue(2, text(s.target));
        m_insert.bindValue(3, s.repetition);
        m_insert.bindValue(4, status);
        m_insert.bindValue(5, s.latencyMs);
        m_insert.bindValue(6, s.exitCode);
        m_insert.bindValue(7, s.signal);
        m_insert.bindValue(8, phases.isNull() ? QVariant(QMetaType(QMetaType::QString)) : QVariant(phases));
        m_insert.bindValue(9, text(s.command));
        m_insert.bindValue(10, s.stdOut.isEmpty() ? QVariant(QMetaType(QMetaType::QByteArray)) : QVariant(s.stdOut));
        m_insert.bindValue(11, s.stdErr.isEmpty() ? QVariant(QMetaType(QMetaType::QByteArray)) : QVariant(s.stdErr));
        m_insert.bindValue(12, s.stdOutTruncated ? 1 : 0);
        m_insert.bindValue(13, s.stdErrTruncated ? 1 : 0);
        m_insert.bindValue(14, text(s.message));
        m_insert.bindValue(15, msOrNull(s.startedAt));
        return m_insert.exec();
    }

    bool insertNative(qint64 runId, const Sample &s, const QString &status, const QString &phases)
    {
        // The file is UTF-8: encode every text once into one reused buffer (binding UTF-16 made
        // SQLite allocate and translate per column). SQLITE_STATIC: the buffers outlive the step.
        const QString *texts[] = { &s.probeId, &s.target, &status, &phases, &s.command, &s.message };
        qsizetype need = 0;
        for (const QString *t : texts) {
            need += t->size() * 3;
        }
        if (m_utf8.size() < need) {
            m_utf8.resize(need);
        }
        const char *begin[6];
        int length[6];
        char *out = m_utf8.data();
        for (int i = 0; i < 6; ++i) {
            begin[i] = out;
            out = m_encoder.appendToBuffer(out, *texts[i]);
            length[i] = int(out - begin[i]);
        }
        auto bindText = [&](int column, int i) {
            return sqlite3_bind_text(m_stmt, column, begin[i], length[i], SQLITE_STATIC);
        };
        auto bindBlob = [this](int column, const QByteArray &v) {
            return v.isEmpty() ? sqlite3_bind_null(m_stmt, column)
                               : sqlite3_bind_blob(m_stmt, column, v.constData(), int(v.size()), SQLITE_STATIC);
        };
        int rc = sqlite3_bind_int64(m_stmt, 1, runId);
        rc |= bindText(2, 0);
        rc |= bindText(3, 1);
        rc |= sqlite3_bind_int(m_stmt, 4, s.repetition);
        rc |= bindText(5, 2);
        rc |= sqlite3_bind_double(m_stmt, 6, s.latencyMs);
        rc |= sqlite3_bind_int(m_stmt, 7, s.exitCode);
        rc |= sqlite3_bind_int(m_stmt, 8, s.signal);
        rc |= phases.isNull() ? sqlite3_bind_null(m_stmt, 9) : bindText(9, 3);
        rc |= bindText(10, 4);
        rc |= bindBlob(11, s.stdOut);
        rc |= bindBlob(12, s.stdErr);
        rc |= sqlite3_bind_int(m_stmt, 13, s.stdOutTruncated ? 1 : 0);
        rc |= sqlite3_bind_int(m_stmt, 14, s.stdErrTruncated ? 1 : 0);
        rc |= bindText(15, 5);
        rc |= s.startedAt.isValid() ? sqlite3_bind_int64(m_stmt, 16, s.startedAt.toMSecsSinceEpoch())
                                    : sqlite3_bind_null(m_stmt, 16);
        const int step = rc == SQLITE_OK ? sqlite3_step(m_stmt) : rc;
        sqlite3_reset(m_stmt);
        if (step != SQLITE_DONE) {
            m_nativeError = QString::fromUtf8(sqlite3_errstr(step));
            return false;
        }
        return true;
    }

    struct Counts {
        int n[6] = {}; // total, then one per SampleStatus in enum order
    };
    QSqlQuery m_insert;
    QSqlQuery m_counters;
    sqlite3 *m_handle = nullptr;
    sqlite3_stmt *m_stmt = nullptr;
    QStringEncoder m_encoder { QStringEncoder::Utf8 };
    QByteArray m_utf8;
    QString m_nativeError;
    QHash<qint64, Counts> m_pending;
};

/// Lives on the store's thread with its own connection; commits what has been queued.
class RunStoreWriter final : public QObject {
    Q_OBJECT
public:
    struct Op {
        qint64 runId = 0;
        bool finish = false;
        Sample sample;
        RunStatus status = RunStatus::Finished;
        QDateTime finishedAt;
        bool topology = false; ///< sets the run's topology snapshot to topologyJson
        QByteArray topologyJson;
    };

    void enqueue(Op op)
    {
        QMutexLocker lock(&m_mutex);
        m_queue.push_back(std::move(op));
        if (!m_scheduled) {
            m_scheduled = true;
            QMetaObject::invokeMethod(this, &RunStoreWriter::drain, Qt::QueuedConnection);
        }
    }

    QString openConnection(const QString &path, const QString &name, qint64 maxPages)
    {
        m_name = name;
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(path);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
        if (!db.open()) {
            return sqlError(db.lastError());
        }
        QSqlQuery q(db);
        // WAL + NORMAL: a commit survives the process being killed (it is in the WAL the moment
        // COMMIT returns); only a power cut can lose the last commits, and never corrupts the file.
        for (const char *pragma : { "PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON" }) {
            if (!q.exec(QString::fromLatin1(pragma))) {
                return sqlError(q.lastError());
            }
        }
        setMaxPages(maxPages);
        // SQLite would copy the WAL into the file inside the COMMIT that crosses 1000 pages, so a
        // big batch paid for it twice before it was reported durable. The writer checkpoints after
        // reporting a commit instead: when the log has reached kWalCheckpointBytes, and when it
        // falls idle. (Idle alone was not enough: every commit restarts the idle timer, so a run
        // whose samples come less than 500 ms apart never checkpointed and its log only grew.)
        q.exec(QStringLiteral("PRAGMA wal_autocheckpoint = 0"));
        m_walPath = path + QStringLiteral("-wal");
        m_checkpointTimer = new QTimer(this);
        m_checkpointTimer->setSingleShot(true);
        m_checkpointTimer->setInterval(kIdleCheckpointMs);
        connect(m_checkpointTimer, &QTimer::timeout, this, &RunStoreWriter::checkpoint);
        m_inserter = std::make_unique<SampleInserter>(db);
        if (!m_inserter->prepare()) {
            return m_inserter->error();
        }
        m_finish = QSqlQuery(db);
        if (!m_finish.prepare(QStringLiteral("UPDATE runs SET status = ?, finished_at = ? WHERE id = ?"))) {
            return sqlError(m_finish.lastError());
        }
        m_topology = QSqlQuery(db);
        if (!m_topology.prepare(QStringLiteral("UPDATE runs SET topology = ? WHERE id = ?"))) {
            return sqlError(m_topology.lastError());
        }
        return QString();
    }

    void setMaxPages(qint64 pages)
    {
        if (pages > 0) {
            QSqlQuery q(QSqlDatabase::database(m_name, false));
            q.exec(QStringLiteral("PRAGMA max_page_count = %1").arg(pages));
        }
    }

    /// Copies the WAL into the database file (passive: never waits for readers).
    void checkpoint()
    {
        m_checkpointTimer->stop();
        QSqlQuery q(QSqlDatabase::database(m_name, false));
        if (!q.exec(QStringLiteral("PRAGMA wal_checkpoint(PASSIVE)"))) {
            qCWarning(lcResults) << "checkpoint failed:" << sqlError(q.lastError());
        }
    }

    /// After a commit: once the log has reached its bound, copies it into the file and empties it.
    /// A passive checkpoint would leave the file at its full size (SQLite reuses a log from its
    /// start but never shrinks it), so this one waits for readers (up to the busy timeout) and
    /// truncates the log to zero bytes.
    void checkpointIfLogIsFull()
    {
        const qint64 size = QFileInfo(m_walPath).size();
        if (size < m_checkpointAt) {
            m_checkpointTimer->start();
            return;
        }
        m_checkpointTimer->stop();
        QSqlQuery q(QSqlDatabase::database(m_name, false));
        bool blocked = false;
        if (!q.exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)")) || !q.next()) {
            qCWarning(lcResults) << "checkpoint failed:" << sqlError(q.lastError());
            blocked = true;
        } else {
            blocked = q.value(0).toInt() != 0; // SQLITE_BUSY: a reader kept its snapshot past the timeout
        }
        // A reader that holds on to an old snapshot keeps the log from being emptied; try again when
        // the log has grown by as much again, rather than waiting out the busy timeout on every commit.
        m_checkpointAt = blocked ? size + RunStore::kWalCheckpointBytes : RunStore::kWalCheckpointBytes;
        if (blocked) {
            qCInfo(lcResults) << "the write-ahead log could not be emptied (a reader holds it);" << size
                              << "bytes, next try at" << m_checkpointAt;
        }
    }

    void closeConnection()
    {
        drain();
        checkpoint();
        m_inserter.reset();
        m_finish = QSqlQuery();
        m_topology = QSqlQuery();
        QSqlDatabase::database(m_name, false).close();
        QSqlDatabase::removeDatabase(m_name);
    }

    void drain()
    {
        for (;;) {
            std::vector<Op> ops;
            {
                QMutexLocker lock(&m_mutex);
                ops.swap(m_queue);
                m_scheduled = false;
            }
            if (ops.empty()) {
                return;
            }
            // A backlog is written in transactions of kMaxBatch: one huge transaction outgrows
            // SQLite's page cache and spills, and every sample in it waits for the last.
            for (size_t from = 0; from < ops.size(); from += kMaxBatch) {
                writeBatch(ops, from, std::min(ops.size(), from + kMaxBatch));
            }
        }
    }

Q_SIGNALS:
    void committed(qint64 runId, int count);
    void failed(qint64 runId, const QString &message);
    void finished(qint64 runId);

private:
    void writeBatch(const std::vector<Op> &all, size_t from, size_t to)
    {
        const auto ops = std::span(all).subspan(from, to - from);
        QSqlDatabase db = QSqlDatabase::database(m_name, false);
        QHash<qint64, int> added;
        QList<qint64> finishedRuns;
        QString error;
        if (!db.transaction()) {
            error = sqlError(db.lastError());
        }
        for (const Op &op : ops) {
            if (!error.isEmpty()) {
                break;
            }
            if (m_failedRuns.contains(op.runId)) {
                continue; // already reported; the caller keeps it in memory
            }
            if (op.topology) {
                m_topology.bindValue(0,
                    op.topologyJson.isEmpty() ? QVariant(QMetaType(QMetaType::QString))
                                              : QString::fromUtf8(op.topologyJson));
                m_topology.bindValue(1, op.runId);
                if (!m_topology.exec()) {
                    error = sqlError(m_topology.lastError());
                }
            } else if (op.finish) {
                m_finish.bindValue(0, toText(op.status));
                m_finish.bindValue(1, msOrNull(op.finishedAt));
                m_finish.bindValue(2, op.runId);
                if (!m_finish.exec()) {
                    error = sqlError(m_finish.lastError());
                }
                finishedRuns << op.runId;
            } else if (m_inserter->insert(op.runId, op.sample)) {
                ++added[op.runId];
            } else {
                error = m_inserter->error();
            }
        }
        if (error.isEmpty() && !m_inserter->updateCounters()) {
            error = m_inserter->error();
        }
        if (error.isEmpty() && !db.commit()) {
            error = sqlError(db.lastError());
        }
        if (!error.isEmpty()) {
            m_inserter->discard();
            db.rollback();
            QSet<qint64> runs;
            for (const Op &op : ops) {
                runs.insert(op.runId);
            }
            for (qint64 run : std::as_const(runs)) {
                if (!m_failedRuns.contains(run)) {
                    m_failedRuns.insert(run);
                    qCWarning(lcResults) << "cannot store the samples of run" << run << ":" << error;
                    Q_EMIT failed(run, error);
                }
            }
            return;
        }
        for (auto it = added.cbegin(); it != added.cend(); ++it) {
            Q_EMIT committed(it.key(), m_committed[it.key()] += it.value());
        }
        for (qint64 run : std::as_const(finishedRuns)) {
            Q_EMIT finished(run);
        }
        checkpointIfLogIsFull(); // after reporting: the samples are durable already
    }

    QMutex m_mutex;
    std::vector<Op> m_queue;
    bool m_scheduled = false;
    QString m_name;
    std::unique_ptr<SampleInserter> m_inserter;
    QSqlQuery m_topology;
    QSqlQuery m_finish;
    QHash<qint64, int> m_committed;
    QSet<qint64> m_failedRuns;
    static constexpr size_t kMaxBatch = 2048;
    static constexpr int kIdleCheckpointMs = 500;
    QTimer *m_checkpointTimer = nullptr;
    QString m_walPath;
    qint64 m_checkpointAt = RunStore::kWalCheckpointBytes;
};

RunStore::RunStore(QObject *parent)
    : QObject(parent)
{
}

RunStore::~RunStore()
{
    close();
}

QString RunStore::defaultPath()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation))
        .filePath(QStringLiteral("runs.sqlite"));
}

QString RunStore::openMainConnection()
{
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connection);
    db.setDatabaseName(m_path);
    db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
    if (!db.open()) {
        return sqlError(db.lastError());
    }
    // Refuse what we cannot read before anything (even switching to WAL) touches the file.
    if (const auto version = storeFileVersion(db); !version) {
        return version.error().message;
    }
    QSqlQuery q(db);
    // journal_mode answers with the mode it got: "wal", or another when it could not switch.
    if (!q.exec(QStringLiteral("PRAGMA journal_mode = WAL")) || !q.next()) {
        return sqlError(q.lastError());
    }
    if (q.value(0).toString() != QLatin1String("wal")) {
        return QStringLiteral("it cannot be switched to write-ahead logging (is its folder read-only?)");
    }
    q.finish();
    q.exec(QStringLiteral("PRAGMA foreign_keys = ON"));
    const auto migrated = migrateStore(db);
    if (!migrated) {
        return migrated.error().message;
    }
    // Try a write now, so a read-only file is reported when it is opened and not at the first sample.
    if (!q.exec(QStringLiteral("BEGIN IMMEDIATE")) || !q.exec(QStringLiteral("COMMIT"))) {
        return QStringLiteral("it is not writable: %1").arg(sqlError(q.lastError()));
    }
    return QString();
}

Result<bool> RunStore::open(const QString &path)
{
    close();
    const QString absolute = QFileInfo(path).absoluteFilePath();
    auto cannot = [&](const QString &why) -> Result<bool> {
        close();
        return Error { QStringLiteral("cannot open the run store: %1").arg(why), absolute };
    };
    const QFileInfo dir(QFileInfo(absolute).absolutePath());
    if (!dir.exists() && !QDir().mkpath(dir.absoluteFilePath())) {
        return cannot(QStringLiteral("the folder %1 cannot be created").arg(dir.absoluteFilePath()));
    }
    // SQLite says only "unable to open database file" when it cannot write the file (or, for a new
    // one, create it in its folder): find the cause first (a read-only mount, permissions).
    {
        const bool exists = QFileInfo::exists(absolute);
        const QString where = exists ? absolute : dir.absoluteFilePath();
        if (::access(QFile::encodeName(where).constData(), R_OK | W_OK) != 0) {
            const int error = errno;
            const QString what = exists ? QStringLiteral("it") : QStringLiteral("its folder %1").arg(where);
            return cannot(error == EROFS
                    ? QStringLiteral("%1 is on a read-only file system").arg(what)
                    : QStringLiteral("%1 is not writable: %2").arg(what, QString::fromLocal8Bit(std::strerror(error))));
        }
    }
    m_path = absolute;
    m_connection = QStringLiteral("nestscope-store-%1").arg(++g_connectionCounter);
    m_open = true;
    const QString mainError = openMainConnection();
    if (!mainError.isEmpty()) {
        return cannot(mainError);
    }

    m_thread = new QThread(this);
    m_thread->setObjectName(QStringLiteral("RunStoreWriter"));
    m_writer = new RunStoreWriter;
    m_writer->moveToThread(m_thread);
    connect(m_thread, &QThread::finished, m_writer, &QObject::deleteLater);
    connect(m_writer, &RunStoreWriter::committed, this, &RunStore::samplesCommitted, Qt::QueuedConnection);
    connect(m_writer, &RunStoreWriter::failed, this, &RunStore::writeFailed, Qt::QueuedConnection);
    connect(
        m_writer, &RunStoreWriter::finished, this,
        [this](qint64) {
            Q_EMIT runsChanged();
        },
        Qt::QueuedConnection);
    m_thread->start();
    QString writerError;
    QMetaObject::invokeMethod(
        m_writer,
        [this, &writerError, absolute] {
            writerError = m_writer->openConnection(absolute, m_connection + QStringLiteral("-writer"), 0);
        },
        Qt::BlockingQueuedConnection);
    if (!writerError.isEmpty()) {
        return cannot(writerError);
    }

    // Runs still marked running whose lock nobody holds belong to a process that died.
    QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    QSqlQuery q(db);
    q.exec(QStringLiteral("SELECT id FROM runs WHERE status = 'running'"));
    QList<qint64> stale;
    while (q.next()) {
        const qint64 id = q.value(0).toLongLong();
        RunLock probe;
        if (probe.tryLock(RunLock::pathFor(absolute, id))) {
            stale << id;
        }
        // probe releases (and removes) the dead run's lock file here
    }
    for (qint64 id : std::as_const(stale)) {
        exec(QStringLiteral("UPDATE runs SET status = 'interrupted' WHERE id = ?"), { id });
        qCInfo(lcResults) << "run" << id << "was left running by a process that is gone; marked interrupted";
    }
    return true;
}

void RunStore::close()
{
    auto &locks = m_locks;
    qDeleteAll(locks);
    locks.clear();
    if (m_writer) {
        QMetaObject::invokeMethod(m_writer, &RunStoreWriter::closeConnection, Qt::BlockingQueuedConnection);
        m_writer = nullptr; // deleted by the thread's finished()
    }
    if (m_thread) {
        m_thread->quit();
        m_thread->wait();
        delete m_thread;
        m_thread = nullptr;
    }
    if (!m_connection.isEmpty()) {
        QSqlDatabase::database(m_connection, false).close();
        QSqlDatabase::removeDatabase(m_connection);
        m_connection.clear();
    }
    m_open = false;
}

void RunStore::setMaximumSize(qint64 bytes)
{
    if (!m_open) {
        return;
    }
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.exec(QStringLiteral("PRAGMA page_size"));
    const qint64 pageSize = q.next() ? q.value(0).toLongLong() : 4096;
    const qint64 pages = std::max<qint64>(1, bytes / pageSize);
    q.exec(QStringLiteral("PRAGMA max_page_count = %1").arg(pages));
    QMetaObject::invokeMethod(
        m_writer,
        [this, pages] {
            m_writer->setMaxPages(pages);
        },
        Qt::BlockingQueuedConnection);
}

Result<bool> RunStore::exec(const QString &sql, const QVariantList &values) const
{
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    if (!q.prepare(sql)) {
        return Error { sqlError(q.lastError()), m_path };
    }
    for (int i = 0; i < values.size(); ++i) {
        q.bindValue(i, values.at(i));
    }
    if (!q.exec()) {
        return Error { sqlError(q.lastError()), m_path };
    }
    return true;
}

Result<qint64> RunStore::beginRun(const RunHeader &h)
{
    if (!m_open) {
        return Error { QStringLiteral("no run store is open"), QString() };
    }
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("INSERT INTO runs (plan_name, plan_file, plan_text, variables, topology, host, probes,"
                             " targets, started_at, status, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?)"));
    q.bindValue(0, text(h.planName));
    q.bindValue(1, text(h.planFile));
    q.bindValue(2, text(QString::fromUtf8(h.planText)));
    q.bindValue(3, QString::fromUtf8(QJsonDocument(h.variables).toJson(QJsonDocument::Compact)));
    q.bindValue(
        4, h.topologyJson.isEmpty() ? QVariant(QMetaType(QMetaType::QString)) : QString::fromUtf8(h.topologyJson));
    q.bindValue(5, text(h.host));
    q.bindValue(6, listToJson(h.probeIds));
    q.bindValue(7, listToJson(h.targets));
    q.bindValue(8, msOrNull(h.startedAt.isValid() ? h.startedAt : QDateTime::currentDateTimeUtc()));
    q.bindValue(9, listToJson(h.tags));
    if (!q.exec()) {
        return Error { QStringLiteral("cannot record the run: %1").arg(sqlError(q.lastError())), m_path };
    }
    const qint64 id = q.lastInsertId().toLongLong();
    auto *lock = new RunLock;
    if (!lock->tryLock(RunLock::pathFor(m_path, id))) {
        // Without the lock another process could call the run interrupted while it goes on; say so, go on.
        qCWarning(lcResults) << "cannot lock run" << id << "beside" << m_path << ":" << std::strerror(errno);
    }
    m_locks.insert(id, lock);
    Q_EMIT runsChanged();
    return id;
}

void RunStore::addSample(qint64 runId, const Sample &sample)
{
    if (m_writer) {
        m_writer->enqueue({ runId, false, sample, RunStatus::Finished, {}, false, {} });
    }
}

void RunStore::finishRun(qint64 runId, RunStatus status, const QDateTime &finishedAt)
{
    if (m_writer) {
        m_writer->enqueue({ runId, true, {}, status, finishedAt, false, {} });
    }
    // The run is over for this process; if the finish does not reach the file, the next open
    // rightly calls the run interrupted.
    delete m_locks.take(runId);
}

void RunStore::checkpoint()
{
    if (m_writer) {
        QMetaObject::invokeMethod(m_writer, &RunStoreWriter::checkpoint, Qt::BlockingQueuedConnection);
    }
}

void RunStore::flush()
{
    if (m_writer) {
        QMetaObject::invokeMethod(m_writer, &RunStoreWriter::drain, Qt::BlockingQueuedConnection);
    }
}

namespace {

const QString kRunColumns
    = QStringLiteral("id, name, plan_name, plan_file, host, started_at, finished_at, status, tags, notes,"
                     " n_samples, n_pass, n_fail, n_timeout, n_error, n_skipped");

RunInfo runInfoFrom(const QSqlQuery &q)
{
    RunInfo r;
    r.id = q.value(0).toLongLong();
    r.name = q.value(1).toString();
    r.planName = q.value(2).toString();
    r.planFile = q.value(3).toString();
    r.host = q.value(4).toString();
    r.startedAt = timeFrom(q.value(5));
    r.finishedAt = timeFrom(q.value(6));
    r.status = runStatusFromString(q.value(7).toString()).value_or(RunStatus::Interrupted);
    r.tags = listFromJson(q.value(8).toString());
    r.notes = q.value(9).toString();
    r.samples = q.value(10).toInt();
    r.passed = q.value(11).toInt();
    r.failed = q.value(12).toInt();
    r.timeouts = q.value(13).toInt();
    r.errors = q.value(14).toInt();
    r.skipped = q.value(15).toInt();
    return r;
}

} // namespace

QList<RunInfo> RunStore::runs() const
{
    QList<RunInfo> list;
    if (!m_open) {
        return list;
    }
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.setForwardOnly(true);
    if (!q.exec(QStringLiteral("SELECT %1 FROM runs ORDER BY started_at DESC, id DESC").arg(kRunColumns))) {
        qCWarning(lcResults) << "cannot list runs:" << sqlError(q.lastError());
    }
    while (q.next()) {
        list << runInfoFrom(q);
    }
    return list;
}

std::optional<RunInfo> RunStore::runInfo(qint64 id) const
{
    if (!m_open) {
        return std::nullopt;
    }
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("SELECT %1 FROM runs WHERE id = ?").arg(kRunColumns));
    q.bindValue(0, id);
    if (!q.exec() || !q.next()) {
        return std::nullopt;
    }
    return runInfoFrom(q);
}

Result<RunHeader> RunStore::loadHeader(qint64 id) const
{
    if (!m_open) {
        return Error { QStringLiteral("no run store is open"), QString() };
    }
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("SELECT plan_name, plan_file, plan_text, variables, topology, host, probes, targets,"
                             " started_at, tags FROM runs WHERE id = ?"));
    q.bindValue(0, id);
    if (!q.exec() || !q.next()) {
        return Error { QStringLiteral("there is no run %1 in the store").arg(id), m_path };
    }
    RunHeader h;
    h.planName = q.value(0).toString();
    h.planFile = q.value(1).toString();
    h.planText = q.value(2).toString().toUtf8();
    h.variables = QJsonDocument::fromJson(q.value(3).toString().toUtf8()).object();
    h.topologyJson = q.value(4).isNull() ? QByteArray() : q.value(4).toString().toUtf8();
    h.host = q.value(5).toString();
    h.probeIds = listFromJson(q.value(6).toString());
    h.targets = listFromJson(q.value(7).toString());
    h.startedAt = timeFrom(q.value(8));
    h.tags = listFromJson(q.value(9).toString());
    return h;
}

namespace {

const char *const kSelectSamples
    = "SELECT probe, target, repetition, status, latency_ms, exit_code, signal, phases, command,"
      " stdout, stderr, stdout_truncated, stderr_truncated, message, started_at"
      " FROM samples WHERE run_id = ? ORDER BY id";

void parsePhases(const QByteArray &json, Sample &s)
{
    const QJsonObject o = QJsonDocument::fromJson(json).object();
    for (auto it = o.begin(); it != o.end(); ++it) {
        s.phasesMs.insert(it.key(), it.value().toDouble());
    }
}

/// Reads what phasesToJson() writes: {"name":number,...} with plain names. Anything else (escapes,
/// nesting, a file from another writer) returns false and goes to QJsonDocument instead.
template <typename Intern> bool parseFlatPhases(QByteArrayView json, Sample &s, Intern &&intern)
{
    const char *p = json.data();
    const char *const end = p + json.size();
    if (p == end || *p++ != '{') {
        return false;
    }
    QMap<QString, double> phases;
    while (p < end && *p != '}') {
        if (*p++ != '"') {
            return false;
        }
        const char *key = p;
        while (p < end && *p != '"' && *p != '\\') {
            ++p;
        }
        if (p >= end || *p != '"') {
            return false;
        }
        const QByteArrayView name(key, p - key);
        if (++p >= end || *p++ != ':') {
            return false;
        }
        double value = 0;
        const auto [next, ec] = std::from_chars(p, end, value);
        if (ec != std::errc()) {
            return false;
        }
        p = next;
        phases.insert(intern(name), value);
        if (p < end && *p == ',') {
            ++p;
        }
    }
    if (p >= end || *p != '}') {
        return false;
    }
    s.phasesMs = std::move(phases);
    return true;
}

bool readSamplesQt(const QSqlDatabase &db, qint64 runId, QList<Sample> &out, QString *error)
{
    QSqlQuery q(db);
    q.setForwardOnly(true);
    q.prepare(QString::fromLatin1(kSelectSamples));
    q.bindValue(0, runId);
    if (!q.exec()) {
        *error = sqlError(q.lastError());
        return false;
    }
    while (q.next()) {
        Sample s;
        s.probeId = q.value(0).toString();
        s.target = q.value(1).toString();
        s.repetition = q.value(2).toInt();
        s.status = sampleStatusFromString(q.value(3).toString()).value_or(SampleStatus::Error);
        s.latencyMs = q.value(4).toDouble();
        s.exitCode = q.value(5).toInt();
        s.signal = q.value(6).toInt();
        if (const QVariant phases = q.value(7); !phases.isNull()) {
            parsePhases(phases.toString().toUtf8(), s);
        }
        s.command = q.value(8).toString();
        s.stdOut = q.value(9).toByteArray();
        s.stdErr = q.value(10).toByteArray();
        s.stdOutTruncated = q.value(11).toBool();
        s.stdErrTruncated = q.value(12).toBool();
        s.message = q.value(13).toString();
        s.startedAt = timeFrom(q.value(14));
        out.append(std::move(s));
    }
    return true;
}

/// The same read with sqlite3 column calls: a QVariant per column made a 10,000-sample run take
/// most of the 100 ms budget. Probe, target and status repeat on every row, so one QString each
/// is shared by all the samples that name it.
bool readSamplesNative(sqlite3 *h, qint64 runId, QList<Sample> &out, QString *error)
{
    sqlite3_stmt *st = nullptr;
    if (sqlite3_prepare_v2(h, kSelectSamples, -1, &st, nullptr) != SQLITE_OK) {
        *error = QString::fromUtf8(sqlite3_errmsg(h));
        return false;
    }
    sqlite3_bind_int64(st, 1, runId);
    auto bytes = [st](int col) {
        return QByteArrayView(static_cast<const char *>(sqlite3_column_blob(st, col)), sqlite3_column_bytes(st, col));
    };
    // A few distinct names over thousands of rows: a linear scan beats hashing a fresh QByteArray.
    QList<std::pair<QByteArray, QString>> names;
    auto internView = [&names](QByteArrayView v) {
        for (const auto &[bytes, string] : std::as_const(names)) {
            if (QByteArrayView(bytes) == v) {
                return string;
            }
        }
        if (names.size() >= 64) {
            return QString::fromUtf8(v); // many distinct names: sharing stops paying off
        }
        names.append({ v.toByteArray(), QString::fromUtf8(v) });
        return names.constLast().second;
    };
    auto shared = [&](int col) {
        return internView(bytes(col));
    };
    auto text = [&](int col) {
        return QString::fromUtf8(bytes(col));
    };
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        Sample s;
        s.probeId = shared(0);
        s.target = shared(1);
        s.repetition = sqlite3_column_int(st, 2);
        s.status = sampleStatusFromString(shared(3)).value_or(SampleStatus::Error);
        s.latencyMs = sqlite3_column_double(st, 4);
        s.exitCode = sqlite3_column_int(st, 5);
        s.signal = sqlite3_column_int(st, 6);
        if (sqlite3_column_type(st, 7) != SQLITE_NULL && !parseFlatPhases(bytes(7), s, internView)) {
            parsePhases(bytes(7).toByteArray(), s);
        }
        s.command = text(8);
        if (sqlite3_column_type(st, 9) != SQLITE_NULL) {
            s.stdOut = bytes(9).toByteArray();
        }
        if (sqlite3_column_type(st, 10) != SQLITE_NULL) {
            s.stdErr = bytes(10).toByteArray();
        }
        s.stdOutTruncated = sqlite3_column_int(st, 11) != 0;
        s.stdErrTruncated = sqlite3_column_int(st, 12) != 0;
        s.message = text(13);
        if (sqlite3_column_type(st, 14) != SQLITE_NULL) {
            s.startedAt = QDateTime::fromMSecsSinceEpoch(sqlite3_column_int64(st, 14), Qt::UTC);
        }
        out.append(std::move(s));
    }
    if (rc != SQLITE_DONE) {
        *error = QString::fromUtf8(sqlite3_errmsg(h));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE;
}

} // namespace

Result<Run> RunStore::loadRun(qint64 id) const
{
    const auto info = runInfo(id);
    if (!info) {
        return Error { QStringLiteral("there is no run %1 in the store").arg(id), m_path };
    }
    const auto header = loadHeader(id);
    if (!header) {
        return header.error();
    }
    Run run;
    run.planName = info->planName;
    run.planFile = info->planFile;
    run.host = info->host;
    run.planText = header->planText;
    for (auto it = header->variables.begin(); it != header->variables.end(); ++it) {
        run.variables.insert(it.key(), it.value().toString());
    }
    run.topologyJson = header->topologyJson;
    run.probeIds = header->probeIds;
    run.targets = header->targets;
    run.startedAt = info->startedAt;
    run.finishedAt = info->finishedAt;
    run.cancelled = info->status == RunStatus::Cancelled;

    run.samples.reserve(info->samples);
    QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    QString error;
    const bool ok = nativeHandle(db) ? readSamplesNative(nativeHandle(db), id, run.samples, &error)
                                     : readSamplesQt(db, id, run.samples, &error);
    if (!ok) {
        return Error { QStringLiteral("cannot read the samples of run %1: %2").arg(id).arg(error), m_path };
    }
    return run;
}

Result<bool> RunStore::renameRun(qint64 id, const QString &name)
{
    auto r = exec(QStringLiteral("UPDATE runs SET name = ? WHERE id = ?"), { text(name.trimmed()), id });
    if (r) {
        Q_EMIT runsChanged();
    }
    return r;
}

Result<bool> RunStore::setTopology(qint64 id, const QByteArray &topologyJson)
{
    if (!m_open || !m_writer) {
        return Error { QStringLiteral("no run store is open"), QString() };
    }
    // Through the writer, in order with the run's samples: the GUI's own connection may hold a
    // read snapshot that SQLite will not upgrade to a write while the writer commits (SQLITE_BUSY
    // at once, no busy timeout). A failure is reported by writeFailed(), as for samples.
    RunStoreWriter::Op op;
    op.runId = id;
    op.topology = true;
    op.topologyJson = topologyJson;
    m_writer->enqueue(std::move(op));
    return true;
}

Result<bool> RunStore::setTags(qint64 id, const QStringList &tags)
{
    QStringList clean;
    for (const QString &t : tags) {
        const QString s = t.trimmed();
        if (!s.isEmpty() && !clean.contains(s)) {
            clean << s;
        }
    }
    auto r = exec(QStringLiteral("UPDATE runs SET tags = ? WHERE id = ?"), { listToJson(clean), id });
    if (r) {
        Q_EMIT runsChanged();
    }
    return r;
}

Result<bool> RunStore::setNotes(qint64 id, const QString &notes)
{
    auto r = exec(QStringLiteral("UPDATE runs SET notes = ? WHERE id = ?"), { text(notes), id });
    if (r) {
        Q_EMIT runsChanged();
    }
    return r;
}

Result<bool> RunStore::deleteRun(qint64 id)
{
    if (m_locks.contains(id)) {
        return Error { QStringLiteral("run %1 is still running; cancel it before deleting it").arg(id), m_path };
    }
    auto r = exec(QStringLiteral("DELETE FROM runs WHERE id = ?"), { id });
    if (r) {
        Q_EMIT runsChanged();
    }
    return r;
}

namespace {

const QString kExperimentColumns = QStringLiteral(
    "id, runner, finding_id, title, steps, applied, state, baseline_run, after_run, revert_run, outcome, error, log,"
    " created_at, updated_at");

QVariant runRef(qint64 id)
{
    return id > 0 ? QVariant(id) : QVariant(QMetaType(QMetaType::LongLong));
}

QString stepsToJson(const QList<ExperimentStep> &steps)
{
    QJsonArray a;
    for (const ExperimentStep &s : steps) {
        a.append(QJsonObject { { QStringLiteral("command"), s.command }, { QStringLiteral("revert"), s.revert },
            { QStringLiteral("note"), s.note } });
    }
    return QString::fromUtf8(QJsonDocument(a).toJson(QJsonDocument::Compact));
}

Experiment experimentFrom(const QSqlQuery &q)
{
    Experiment e;
    e.id = q.value(0).toLongLong();
    e.runner = q.value(1).toString();
    e.findingId = q.value(2).toString();
    e.title = q.value(3).toString();
    for (const QJsonValue &v : QJsonDocument::fromJson(q.value(4).toString().toUtf8()).array()) {
        const QJsonObject o = v.toObject();
        e.steps << ExperimentStep { o.value(QStringLiteral("command")).toString(),
            o.value(QStringLiteral("revert")).toString(), o.value(QStringLiteral("note")).toString() };
    }
    e.applied = q.value(5).toInt();
    e.state = experimentStateFromText(q.value(6).toString()).value_or(ExperimentState::Failed);
    e.baselineRun = q.value(7).toLongLong();
    e.afterRun = q.value(8).toLongLong();
    e.revertRun = q.value(9).toLongLong();
    e.outcome = q.value(10).toString();
    e.error = q.value(11).toString();
    e.log = q.value(12).toString();
    e.createdAt = timeFrom(q.value(13));
    e.updatedAt = timeFrom(q.value(14));
    return e;
}

} // namespace

Result<qint64> RunStore::addExperiment(const Experiment &e)
{
    if (!m_open) {
        return Error { QStringLiteral("no run store is open"), QString() };
    }
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("INSERT INTO experiments (runner, finding_id, title, steps, applied, state, baseline_run,"
                             " after_run, revert_run, outcome, error, log, created_at, updated_at)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    const QVariantList values { text(e.runner), text(e.findingId), text(e.title), stepsToJson(e.steps), e.applied,
        toText(e.state), runRef(e.baselineRun), runRef(e.afterRun), runRef(e.revertRun), text(e.outcome), text(e.error),
        text(e.log), e.createdAt.isValid() ? QVariant(e.createdAt.toMSecsSinceEpoch()) : QVariant(),
        e.updatedAt.isValid() ? QVariant(e.updatedAt.toMSecsSinceEpoch()) : QVariant() };
    for (int i = 0; i < values.size(); ++i) {
        q.bindValue(i, values.at(i));
    }
    if (!q.exec()) {
        return Error { sqlError(q.lastError()), m_path };
    }
    return q.lastInsertId().toLongLong();
}

Result<bool> RunStore::updateExperiment(const Experiment &e)
{
    return exec(QStringLiteral("UPDATE experiments SET applied = ?, state = ?, baseline_run = ?, after_run = ?,"
                               " revert_run = ?, outcome = ?, error = ?, log = ?, updated_at = ? WHERE id = ?"),
        { e.applied, toText(e.state), runRef(e.baselineRun), runRef(e.afterRun), runRef(e.revertRun), text(e.outcome),
            text(e.error), text(e.log),
            e.updatedAt.isValid() ? QVariant(e.updatedAt.toMSecsSinceEpoch())
                                  : QVariant(QDateTime::currentMSecsSinceEpoch()),
            e.id });
}

QList<Experiment> RunStore::experiments(const QString &runner) const
{
    QList<Experiment> list;
    if (!m_open) {
        return list;
    }
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("SELECT %1 FROM experiments%2 ORDER BY id DESC")
                  .arg(kExperimentColumns, runner.isEmpty() ? QString() : QStringLiteral(" WHERE runner = ?")));
    if (!runner.isEmpty()) {
        q.bindValue(0, runner);
    }
    if (!q.exec()) {
        qCWarning(lcResults) << "cannot list experiments:" << sqlError(q.lastError());
    }
    while (q.next()) {
        list << experimentFrom(q);
    }
    return list;
}

std::optional<Experiment> RunStore::experiment(qint64 id) const
{
    if (!m_open) {
        return std::nullopt;
    }
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("SELECT %1 FROM experiments WHERE id = ?").arg(kExperimentColumns));
    q.bindValue(0, id);
    if (!q.exec() || !q.next()) {
        return std::nullopt;
    }
    return experimentFrom(q);
}

Result<qint64> RunStore::importJson(const QByteArray &json, const QString &fileName, bool *alreadyStored)
{
    if (alreadyStored) {
        *alreadyStored = false;
    }
    if (!m_open) {
        return Error { QStringLiteral("no run store is open"), QString() };
    }
    auto parsed = runFromJson(json, fileName);
    if (!parsed) {
        return parsed.error();
    }
    const Run &run = *parsed;
    QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    {
        // the same run again: same plan, runner, start, end and number of samples
        QSqlQuery same(db);
        same.prepare(QStringLiteral("SELECT id FROM runs WHERE plan_name = ? AND host = ? AND started_at IS ? AND"
                                    " finished_at IS ? AND n_samples = ? AND status != 'running' ORDER BY id LIMIT 1"));
        same.bindValue(0, text(run.planName));
        same.bindValue(1, text(run.host));
        same.bindValue(2, msOrNull(run.startedAt));
        same.bindValue(3, msOrNull(run.finishedAt));
        same.bindValue(4, run.samples.size());
        if (same.exec() && same.next()) {
            if (alreadyStored) {
                *alreadyStored = true;
            }
            return same.value(0).toLongLong();
        }
    }
    if (!db.transaction()) {
        return Error { QStringLiteral("cannot import: %1").arg(sqlError(db.lastError())), m_path };
    }
    auto abort = [&](const QString &why) -> Result<qint64> {
        db.rollback();
        return Error { QStringLiteral("cannot import %1: %2").arg(fileName, why), m_path };
    };
    QSqlQuery q(db);
    q.prepare(
        QStringLiteral("INSERT INTO runs (plan_name, plan_file, host, probes, targets, started_at, finished_at,"
                       " status, plan_text, variables, topology, name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    q.bindValue(0, text(run.planName));
    q.bindValue(1, text(run.planFile));
    q.bindValue(2, text(run.host));
    q.bindValue(3, listToJson(run.probeIds));
    q.bindValue(4, listToJson(run.targets));
    q.bindValue(5, msOrNull(run.startedAt));
    q.bindValue(6, msOrNull(run.finishedAt));
    q.bindValue(7, toText(run.cancelled ? RunStatus::Cancelled : RunStatus::Finished));
    q.bindValue(8, text(QString::fromUtf8(run.planText)));
    QJsonObject variables;
    for (auto it = run.variables.cbegin(); it != run.variables.cend(); ++it) {
        variables.insert(it.key(), it.value());
    }
    q.bindValue(9, QString::fromUtf8(QJsonDocument(variables).toJson(QJsonDocument::Compact)));
    q.bindValue(
        10, run.topologyJson.isEmpty() ? QVariant(QMetaType(QMetaType::QString)) : QString::fromUtf8(run.topologyJson));
    QStringList name;
    for (const QString &part : { QFileInfo(fileName).fileName(), run.planName, run.host,
             run.startedAt.isValid() ? run.startedAt.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm"))
                                     : QString() }) {
        if (!part.isEmpty()) {
            name << part;
        }
    }
    q.bindValue(11, name.join(QStringLiteral(" · ")));
    if (!q.exec()) {
        return abort(sqlError(q.lastError()));
    }
    const qint64 id = q.lastInsertId().toLongLong();
    SampleInserter inserter(db);
    if (!inserter.prepare()) {
        return abort(inserter.error());
    }
    for (const Sample &s : run.samples) {
        if (!inserter.insert(id, s)) {
            return abort(inserter.error());
        }
    }
    if (!inserter.updateCounters() || !db.commit()) {
        return abort(inserter.error());
    }
    Q_EMIT runsChanged();
    return id;
}

Result<QByteArray> RunStore::exportJson(qint64 id) const
{
    auto run = loadRun(id);
    if (!run) {
        return run.error();
    }
    return runToJson(*run);
}

} // namespace nestscope

#include "runstore.moc"
