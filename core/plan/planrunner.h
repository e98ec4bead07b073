#pragma once

#include "plan.h"
#include "results/sample.h"
#include "transport/transport.h"

#include <QElapsedTimer>
#include <QHash>
#include <QList>
#include <QObject>
#include <QPointer>

namespace nestscope {

class CommandJob;
class Transport;

/// Runs a plan: every probe on every target, `repeat` times, at most `concurrency` commands at
/// once overall and `targetConcurrency` per target. Asynchronous on the caller's event loop;
/// each sample is emitted the moment it completes.
class PlanRunner final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PlanRunner)
public:
    /// `plan.targets` must be resolved (see resolveTargets()); `transports` maps each to where it
    /// runs and must outlive the runner.
    PlanRunner(Plan plan, QHash<QString, Transport *> transports, QObject *parent = nullptr);
    ~PlanRunner() override;

    /// Runs the queue in a random order (seeded, so a run can be repeated) instead of
    /// repetition by repetition. Call before start().
    void setShuffle(bool shuffle, quint32 seed = 0);
    /// Bounds what run() keeps of each sample's output: at most `bytes` of stdout and of stderr
    /// (the rest is dropped and the sample marked truncated); sampleFinished() still carries the
    /// whole sample. For a caller that writes every sample as it completes (the CLI), so that a
    /// run's memory does not grow with its output. Negative (the default): everything is kept.
    void setKeptOutput(qsizetype bytes) { m_keptOutput = bytes; }
    /// The output cap of every command (CommandRequest::outputCap, per stream): what a target
    /// prints beyond it never reaches the sample, which is marked truncated. Call before start().
    void setOutputCap(qsizetype bytes) { m_outputCap = bytes; }
    /// Keeps the runner's topology (topologyToJson(), compact) with the run. Call before start().
    void setTopologySnapshot(const QByteArray &json) { m_run.topologyJson = json; }

    const Plan &plan() const { return m_plan; }
    const Run &run() const { return m_run; }
    int total() const { return m_done + int(m_pending.size()) + int(m_inFlight.size()); }
    int done() const { return m_done; }
    bool isRunning() const { return m_running; }
    bool isPaused() const { return m_paused; }
    /// Whether some cell's newest sample did not pass (what rerunFailed() would run).
    bool hasFailedCells() const;
    qint64 elapsedMs() const { return m_clock.isValid() ? m_clock.elapsed() : 0; }
    /// A command in flight: which cell, and how long it has been running.
    struct Running {
        QString probeId;
        QString target;
        int repetition = 0;
        qint64 elapsedMs = 0;
        ProbeKind kind = ProbeKind::Shell;
    };
    QList<Running> running() const;
    /// Where a probe comes in the first repetition: 0 (facts) before 1 (DNS, TCP connect) before
    /// 2 (ICMP) before 3 (HTTP, shell) before 4 (bulk transfers, MTU, package manager, Docker).
    static int verdictTier(const Probe &probe);
    /// Before start(): run the first repetition in the plan's own order too (what the verdict
    /// benchmark measures against).
    void keepPlanOrder();

public Q_SLOTS:
    void start();
    /// Stops what is in flight (the commands are killed) and runs nothing more. Before start(), the
    /// run ends at once (finished(true), no samples) and start() does nothing.
    void cancel();
    /// Starts nothing new until resume(); commands in flight finish.
    void pause();
    void resume();
    /// Runs one cell again (its probe's `repeat` times); starts the runner again if it had finished.
    void rerunCell(const QString &probeId, const QString &target);
    /// Runs one probe again on every target.
    void rerunProbe(const QString &probeId);
    /// Runs again every cell with a sample that did not pass.
    void rerunFailed();

Q_SIGNALS:
    void sampleFinished(const nestscope::Sample &sample);
    void progress(int done, int total);
    void pausedChanged(bool paused);
    void finished(bool cancelled);

private:
    struct Item {
        int probeIndex;
        QString target;
        int repetition;
    };
    void queueAll(bool verdictFirst);
    struct Flight {
        QPointer<CommandJob> job;
        Item item;
        qint64 startedMs = 0; ///< m_clock when it was launched
    };
    enum class Readiness { Ready, Wait, Skip };

    void pump();
    Readiness readiness(const Item &item, QString *skipReason) const;
    void launch(const Item &item);
    /// A sample for an item that did not run (skipped by a guard, no transport).
    Sample sampleWithoutRun(const Item &item, SampleStatus status, const QString &message) const;
    /// Keeps a finished sample and reports it; complete() also starts what can start next.
    void record(const Sample &sample);
    void complete(const Sample &sample);
    void enqueueCell(int probeIndex, const QString &target);
    void restartIfIdle();
    int inFlightOn(const QString &target) const;
    /// Which targets keep a slot free for them: the runner while it has work waiting (its passes are
    /// the contrast every finding needs), and any other target with work waiting and nothing in
    /// flight. So targets whose probes hang until their timeout cannot take every slot and starve
    /// the ones whose answers decide the verdict; the concurrency cap still holds.
    struct Shares {
        QHash<QString, int> inFlight; // target -> its commands in flight
        QStringList reserved; // the targets a slot is kept free for
    };
    Shares shares() const;
    bool slotFreeFor(const QString &target, const Shares &sh) const;
    void appendPending(const Item &item);
    void clearPending();
    QHash<QString, const Sample *> newestPerCell() const; // "probe|target" -> its newest sample
    static QString key(int probeIndex, const QString &target, int repetition);

    Plan m_plan;
    QHash<QString, Transport *> m_transports;
    QList<Item> m_pending;
    QHash<QString, int> m_pendingOn; // target -> its items in m_pending
    QList<Flight> m_inFlight;
    QHash<QString, SampleStatus> m_results; // key(probe, target, repetition) -> status
    QHash<QString, int> m_probeIndex; // probe id -> its index in the plan
    QHash<QString, int> m_nextRepetition; // probe|target -> next repetition number for reruns
    int m_done = 0;
    bool m_running = false;
    bool m_paused = false;
    bool m_cancelled = false;
    bool m_shuffle = false;
    quint32 m_seed = 0;
    qsizetype m_keptOutput = -1;
    qsizetype m_outputCap = CommandRequest().outputCap;
    QElapsedTimer m_clock;
    Run m_run;
};

} // namespace nestscope
