#pragma once

#include "common/result.h"
#include "experimentrecord.h"
#include "sample.h"

#include <QDateTime>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

class QThread;

namespace nestscope {

class RunLock;
class RunStoreWriter;

enum class RunStatus {
    Running,
    Finished,
    Cancelled,
    Interrupted, ///< the process that ran it died (or lost its store) before it ended
};

QString toText(RunStatus status);
std::optional<RunStatus> runStatusFromString(const QString &text);

/// What the run list shows about a stored run; the samples stay in the store until loadRun().
struct RunInfo {
    qint64 id = 0;
    QString name; ///< the user's name for the run; empty until renamed
    QString planName;
    QString planFile;
    QString host;
    QDateTime startedAt;
    QDateTime finishedAt;
    RunStatus status = RunStatus::Running;
    QStringList tags;
    QString notes;
    int samples = 0;
    int passed = 0;
    int failed = 0;
    int timeouts = 0;
    int errors = 0;
    int skipped = 0;

    /// The name if the user gave one, else "plan name · start time".
    QString displayName() const;
};

/// What a run records besides its samples.
struct RunHeader {
    QString planName;
    QString planFile;
    QByteArray planText;
    QJsonObject variables;
    QByteArray topologyJson; ///< a snapshot of the topology as JSON, or empty for none
    QString host;
    QStringList probeIds;
    QStringList targets;
    QDateTime startedAt;
    QStringList tags;
};

/// Every run and every sample, in one SQLite file (WAL) that survives the application being killed.
///
/// Samples are handed over with addSample() as they complete; a writer thread with its own
/// connection commits whatever has arrived in one transaction as soon as it is free, so a
/// burst becomes one commit and the caller never waits for the disk. A run whose process died
/// shows as `interrupted` the next time the file is opened. When the file cannot be written
/// (read-only, full disk) writeFailed() says why once and the caller carries on in memory.
class RunStore final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunStore)
public:
    static constexpr int kSchemaVersion = 2;
    /// The writer copies the write-ahead log back into the file once it reaches this size, so the
    /// log stays under it plus one transaction however long a run goes on.
    static constexpr qint64 kWalCheckpointBytes = 4 * 1024 * 1024;

    explicit RunStore(QObject *parent = nullptr);
    ~RunStore() override; ///< commits what is pending

    /// runs.sqlite under the application's data location.
    static QString defaultPath();

    /// Opens (creating or migrating) the store. Runs left `running` by a dead process become
    /// `interrupted`. On error nothing is open and the message says what to do.
    Result<bool> open(const QString &path);
    bool isOpen() const { return m_open; }
    QString path() const { return m_path; }
    void close();

    /// Caps the file size (SQLite's max_page_count); a write beyond it fails like a full disk.
    void setMaximumSize(qint64 bytes);

    /// Records a new run as `running`; its samples follow with addSample().
    Result<qint64> beginRun(const RunHeader &header);
    /// Queues one completed sample; returns at once. Thread-safe.
    void addSample(qint64 runId, const Sample &sample);
    /// Queues the end of the run after its samples.
    void finishRun(qint64 runId, RunStatus status, const QDateTime &finishedAt);
    /// Blocks until everything queued so far is committed (or has failed). For the CLI and tests.
    void flush();
    /// Blocks while the writer copies its log into the database file. It does this by itself when
    /// idle for 500 ms and when the log reaches kWalCheckpointBytes; the benchmark calls it to time
    /// that part apart.
    void checkpoint();

    QList<RunInfo> runs() const;
    std::optional<RunInfo> runInfo(qint64 id) const;
    Result<Run> loadRun(qint64 id) const;
    /// The plan text, variables and topology snapshot kept with the run.
    Result<RunHeader> loadHeader(qint64 id) const;

    Result<bool> renameRun(qint64 id, const QString &name);
    /// Keeps a topology snapshot (topologyToJson(), compact) with a run, e.g. one that arrived after
    /// the run had started; empty removes it.
    Result<bool> setTopology(qint64 id, const QByteArray &topologyJson);
    Result<bool> setTags(qint64 id, const QStringList &tags);
    Result<bool> setNotes(qint64 id, const QString &notes);
    Result<bool> deleteRun(qint64 id);

    /// Stores a run in the CLI's JSON format (see runjson.h); returns its id.
    /// Imports a run file (runjson). A run the store already holds (the same plan, runner, start,
    /// end and samples: the same file imported again, or the run it was exported from) is not
    /// stored twice: its id comes back, with *alreadyStored set. An imported run is named after
    /// its file ("before.json · Nested VM network · runner-3 · 2026-12-06 21:00"), so it can be
    /// told from the runs made here.
    Result<qint64> importJson(const QByteArray &json, const QString &fileName = {}, bool *alreadyStored = nullptr);

    /// Experiments (core/experiment): recorded before their first command runs, updated after each.
    Result<qint64> addExperiment(const Experiment &experiment);
    Result<bool> updateExperiment(const Experiment &experiment);
    /// Newest first; `runner` empty: every runner's.
    QList<Experiment> experiments(const QString &runner = {}) const;
    std::optional<Experiment> experiment(qint64 id) const;
    Result<QByteArray> exportJson(qint64 id) const;

Q_SIGNALS:
    /// Samples of the run are durable up to this count (in the order they were added).
    void samplesCommitted(qint64 runId, int committed);
    /// The file cannot take the run's samples any more; the run should go on in memory.
    void writeFailed(qint64 runId, const QString &message);
    /// A run was added, renamed, tagged, finished or deleted.
    void runsChanged();

private:
    Result<bool> exec(const QString &sql, const QVariantList &values) const;
    QString openMainConnection();

    QString m_path;
    QString m_connection;
    bool m_open = false;
    QThread *m_thread = nullptr;
    RunStoreWriter *m_writer = nullptr;
    QHash<qint64, RunLock *> m_locks; ///< runs this process is writing
};

} // namespace nestscope
