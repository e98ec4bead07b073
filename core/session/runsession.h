#pragma once

#include "diagnosis/diagnosis.h"
#include "plan/plan.h"
#include "results/edgeresults.h"
#include "results/sample.h"
#include "topology/topology.h"
#include "transport/instancetransport.h"

#include <QByteArray>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QStringList>
#include <QTimer>

#include <memory>
#include <optional>

namespace nestscope {

class PlanRunner;
class RunRecorder;
class RunStore;
class TargetSetup;
class TopologyDiscovery;
class Transport;

/// One run of a plan on a runner, from the plan to the verdict, the one sequence that the command
/// line (`nestscope run`) and the workbench both drive:
///
///   targets (TargetSetup: instances listed, `all` and globs resolved, instance transports)
///   -> topology snapshot (discovered first, or provided by the caller at any time)
///   -> PlanRunner, with a RunRecorder into the run store when there is one
///   -> the diagnosis (live while the samples come in, when asked, and always at the end)
///   -> what the outputs read: run(), plan(), diagnosis(), edgeResults().
///
/// Asynchronous on the caller's event loop. cancel() stops whichever phase is going; a run
/// cancelled before its runner started still ends as a run (the plan as known then, no samples,
/// "cancelled"), so the command line writes its outputs and store the same way in every phase.
/// The front-ends keep only what is theirs: how progress and errors are shown, the outputs' files,
/// what a lost SSH connection means.
class RunSession final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunSession)
public:
    enum class Phase { Idle, Targets, Topology, Running, Finished, Failed };
    /// Where the run's topology snapshot comes from.
    enum class TopologySource {
        Discover, ///< the session discovers it after the targets, before the run starts (the CLI)
        Provided, ///< the caller passes it with setTopologySnapshot(), before or during the run (the GUI)
        None, ///< the run has none (`--no-topology`): no diagnosis
    };

    explicit RunSession(QObject *parent = nullptr);
    ~RunSession() override;

    // Settings; each applies to the next start().
    /// The store every sample goes to as it completes (borrowed; must outlive the session). Null
    /// or closed: the run stays in memory.
    void setStore(RunStore *store) { m_store = store; }
    /// Long-lived shells per instance (TargetSetup::setInstanceShells()).
    void setInstanceShells(int perInstance) { m_instanceShells = perInstance; }
    void setClient(InstanceTransport::Client client) { m_client = client; }
    void setTopologySource(TopologySource source) { m_topologySource = source; }
    /// Runs the samples in a seeded random order (PlanRunner::setShuffle()).
    void setShuffle(std::optional<quint32> seed) { m_seed = seed; }
    /// PlanRunner::setKeptOutput() and PlanRunner::setOutputCap().
    void setKeptOutput(qsizetype bytes) { m_keptOutput = bytes; }
    void setOutputCap(qsizetype bytes) { m_outputCap = bytes; }
    /// Diagnoses while the samples come in, at most once per `intervalMs`, each time emitting
    /// diagnosisChanged(). 0 (the default): once, when the run finishes.
    void setLiveDiagnosis(int intervalMs) { m_liveInterval = intervalMs; }
    /// On (the default): the live diagnosis also reads the probes still in flight
    /// (withStalledProbes(), looked at again while they hang), and the first repetition runs in
    /// verdict order. Off: the plan's own order and finished samples only (what bench_verdict
    /// measures against). The final verdict reads finished samples only either way.
    void setEarlyVerdict(bool on) { m_earlyVerdict = on; }

    /// Starts with the targets. `runner` is borrowed and must outlive the session. Emits, in
    /// order: note()s, topologyDiscoveryStarted() (Discover), runnerReady(), then sampleFinished()
    /// and progress() as the run goes, and finished(); or error() when nothing can run. After
    /// cancel() (even one before this call) the run ends at once with no samples, and `runner` may
    /// be null (the connection to it never came).
    void start(const Plan &plan, Transport *runner);
    /// Stops the phase that is going: the instance lookup, the discovery (their commands are
    /// killed) or the run (the commands in flight are killed). finished(true) follows.
    void cancel();
    /// The runner's topology as the run met it (topologyToJson(), compact). Before runnerReady()
    /// it is with the run from its start; later it joins the run and the stored run.
    void setTopologySnapshot(const QByteArray &json);

    Phase phase() const { return m_phase; }
    /// Looking up targets, discovering or running (also a rerun of cells after the end).
    bool isActive() const;
    bool isCancelled() const { return m_cancelled; }
    /// From runnerReady() on: the run's scheduler (owned by the session), for pause, reruns, progress.
    PlanRunner *runner() const { return m_runner.get(); }
    /// The recording into the store, when there is one (owned by the session).
    RunRecorder *recorder() const { return m_recorder.get(); }
    /// The plan as it runs (targets resolved) from runnerReady() on; the plan as given before.
    const Plan &plan() const;
    /// The run so far; an empty Run before runnerReady().
    const Run &run() const;
    /// Where each target runs (the runner and the instance transports, owned by the session).
    QHash<QString, Transport *> transports() const;
    /// Everything note() said, in order.
    const QStringList &notes() const { return m_notes; }
    /// The plan's targets that are not run because the runner's instances could not be listed,
    /// and why (TargetSetup::notRun()).
    QStringList notRun() const { return m_notRun; }
    QString notRunReason() const { return m_notRunReason; }

    /// The latest verdict on the run with its topology; empty until there is one.
    const std::optional<Diagnosis> &diagnosis() const { return m_diagnosis; }
    /// Why diagnosis() is empty: "the run has no topology snapshot", or why the snapshot cannot be read.
    QString diagnosisError() const { return m_diagnosisError; }
    /// Per target and family, whether the run got out (edgeResultsFromRun() with the run's plan).
    EdgeResults edgeResults() const;

Q_SIGNALS:
    /// Worth telling the user, once: an instance target that is not run and why, a missing
    /// topology snapshot, `all` adding no instance.
    void note(const QString &message);
    void topologyDiscoveryStarted();
    /// The runner exists (targets resolved; with TopologySource::Discover the snapshot is in its
    /// run) and starts right after this returns: connect to runner() and read run() here.
    void runnerReady();
    /// The runner has started (not emitted for a run cancelled before it began).
    void started();
    void sampleFinished(const nestscope::Sample &sample);
    void progress(int done, int total);
    /// diagnosis() or diagnosisError() changed.
    void diagnosisChanged();
    /// The run ended (also after a rerun of cells); the final diagnosis is in diagnosis().
    void finished(bool cancelled);
    /// Nothing was run: the targets could not be set up (what, where, what to do).
    void error(const QString &message);
    /// The store could not take the run (RunRecorder::failed()); the run goes on in memory.
    void storeFailed(const QString &message);

private:
    void addNote(const QString &message);
    void targetsReady();
    void targetsFailed(const QString &message);
    void discoverTopology();
    void topologyDiscovered(const Result<Topology> &result);
    /// Makes the runner of `plan` on `transports` and its recorder, says runnerReady(), starts it
    /// (or, when cancelled, ends it at once).
    void launch(const Plan &plan, const QHash<QString, Transport *> &transports);
    void diagnoseNow();

    TopologySource m_topologySource = TopologySource::Discover;
    QPointer<RunStore> m_store;
    int m_instanceShells = 3;
    InstanceTransport::Client m_client = InstanceTransport::Client::Auto;
    std::optional<quint32> m_seed;
    qsizetype m_keptOutput = -1;
    qsizetype m_outputCap = -1; ///< negative: the PlanRunner's default
    int m_liveInterval = 0;
    bool m_earlyVerdict = true;

    Phase m_phase = Phase::Idle;
    bool m_cancelled = false;
    Plan m_plan; ///< as given to start()
    QPointer<Transport> m_runnerTransport;
    QByteArray m_snapshot; ///< the topology snapshot until the runner takes it
    QStringList m_notes;
    QStringList m_notRun;
    QString m_notRunReason;
    // Declared in the order they may be destroyed last to first: the runner and the recorder
    // go before the instance transports the setup owns.
    std::unique_ptr<TargetSetup> m_setup;
    std::unique_ptr<PlanRunner> m_runner;
    std::unique_ptr<RunRecorder> m_recorder;
    std::unique_ptr<TopologyDiscovery> m_discovery;

    QTimer m_diagnosisTimer;
    QByteArray m_diagnosedTopologyJson; ///< the snapshot m_diagnosedTopology was read from
    std::optional<Topology> m_diagnosedTopology;
    QString m_topologyError;
    std::optional<Diagnosis> m_diagnosis;
    QString m_diagnosisError;
};

} // namespace nestscope
