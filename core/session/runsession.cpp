#include "runsession.h"

#include "plan/planrunner.h"
#include "plan/targetsetup.h"
#include "results/runrecorder.h"
#include "results/runstore.h"
#include "topology/discovery.h"
#include "topology/topologyjson.h"
#include "transport/transport.h"

#include <QJsonDocument>

namespace nestscope {

RunSession::RunSession(QObject *parent)
    : QObject(parent)
{
    m_diagnosisTimer.setSingleShot(true);
    connect(&m_diagnosisTimer, &QTimer::timeout, this, &RunSession::diagnoseNow);
}

RunSession::~RunSession()
{
    // The recorder and the runner first (they use the instance transports), the setup last; a
    // discovery or a lookup still going is stopped with its commands.
    m_discovery.reset();
    m_recorder.reset();
    m_runner.reset();
    m_setup.reset();
}

bool RunSession::isActive() const
{
    switch (m_phase) {
    case Phase::Targets:
    case Phase::Topology:
        return true;
    case Phase::Running:
    case Phase::Finished: // a rerun of cells runs again
        return m_runner && m_runner->isRunning();
    case Phase::Idle:
    case Phase::Failed:
        return false;
    }
    return false;
}

const Plan &RunSession::plan() const
{
    return m_runner ? m_runner->plan() : m_plan;
}

const Run &RunSession::run() const
{
    static const Run none;
    return m_runner ? m_runner->run() : none;
}

QHash<QString, Transport *> RunSession::transports() const
{
    if (m_setup && m_runner) {
        return m_setup->transports();
    }
    QHash<QString, Transport *> runnerOnly;
    if (m_runnerTransport) {
        runnerOnly.insert(QStringLiteral("runner"), m_runnerTransport);
    }
    return runnerOnly;
}

EdgeResults RunSession::edgeResults() const
{
    return m_runner ? edgeResultsFromRun(m_runner->run(), &m_runner->plan()) : EdgeResults {};
}

void RunSession::addNote(const QString &message)
{
    m_notes << message;
    Q_EMIT note(message);
}

void RunSession::start(const Plan &plan, Transport *runner)
{
    if (m_phase != Phase::Idle) {
        return;
    }
    m_plan = plan;
    m_runnerTransport = runner;
    if (m_cancelled) {
        // Cancelled before it began (a signal while connecting): the run is the plan as written.
        launch(m_plan, transports());
        return;
    }
    if (!runner) {
        m_phase = Phase::Failed;
        QMetaObject::invokeMethod(
            this,
            [this] {
                Q_EMIT error(QStringLiteral("there is no runner to run on: connect to one first"));
            },
            Qt::QueuedConnection);
        return;
    }
    m_phase = Phase::Targets;
    m_setup = std::make_unique<TargetSetup>();
    m_setup->setInstanceShells(m_instanceShells);
    m_setup->setClient(m_client);
    connect(m_setup.get(), &TargetSetup::ready, this, &RunSession::targetsReady);
    connect(m_setup.get(), &TargetSetup::failed, this, &RunSession::targetsFailed);
    m_setup->start(m_plan, runner);
}

void RunSession::targetsFailed(const QString &message)
{
    m_phase = Phase::Failed;
    Q_EMIT error(message);
}

void RunSession::targetsReady()
{
    m_notRun = m_setup->notRun();
    m_notRunReason = m_setup->notRunReason();
    for (const QString &warning : m_setup->warnings()) {
        addNote(warning);
    }
    if (m_topologySource == TopologySource::Discover && m_snapshot.isEmpty()) {
        discoverTopology();
        return;
    }
    launch(m_setup->plan(), m_setup->transports());
}

void RunSession::discoverTopology()
{
    m_phase = Phase::Topology;
    m_discovery = std::make_unique<TopologyDiscovery>(m_runnerTransport);
    m_discovery->setClient(m_client); // the client the run lists its instances with
    connect(m_discovery.get(), &TopologyDiscovery::finished, this, &RunSession::topologyDiscovered);
    Q_EMIT topologyDiscoveryStarted();
    m_discovery->start();
}

void RunSession::topologyDiscovered(const Result<Topology> &result)
{
    m_discovery.release()->deleteLater(); // it is emitting this
    if (result) {
        m_snapshot = QJsonDocument(topologyToJson(*result)).toJson(QJsonDocument::Compact);
    } else {
        // A discovery that fails costs a note, never the run.
        addNote(QStringLiteral("no topology snapshot: %1").arg(result.error().toString()));
    }
    launch(m_setup->plan(), m_setup->transports());
}

void RunSession::launch(const Plan &plan, const QHash<QString, Transport *> &transports)
{
    m_phase = Phase::Running;
    m_runner = std::make_unique<PlanRunner>(plan, transports);
    if (!m_earlyVerdict) {
        m_runner->keepPlanOrder();
    }
    if (!m_snapshot.isEmpty()) {
        m_runner->setTopologySnapshot(m_snapshot);
    }
    if (m_seed) {
        m_runner->setShuffle(true, *m_seed);
    }
    m_runner->setKeptOutput(m_keptOutput);
    if (m_outputCap >= 0) {
        m_runner->setOutputCap(m_outputCap);
    }
    PlanRunner *runner = m_runner.get();
    connect(runner, &PlanRunner::sampleFinished, this, [this](const Sample &sample) {
        if (m_liveInterval > 0 && !m_diagnosisTimer.isActive()) {
            m_diagnosisTimer.start(m_liveInterval);
        }
        Q_EMIT sampleFinished(sample);
    });
    connect(runner, &PlanRunner::progress, this, &RunSession::progress);
    connect(runner, &PlanRunner::finished, this, [this](bool cancelled) {
        m_phase = Phase::Finished;
        diagnoseNow(); // the verdict on the whole run, before anyone reads it
        Q_EMIT finished(cancelled);
    });
    // Every sample goes to the store as it completes; the recorder records the run now, with the
    // snapshot it has.
    if (m_store && m_store->isOpen()) {
        m_recorder = std::make_unique<RunRecorder>(m_store, runner);
        connect(m_recorder.get(), &RunRecorder::failed, this, &RunSession::storeFailed);
    }
    Q_EMIT runnerReady();
    if (m_cancelled) {
        runner->cancel(); // before start(): ends at once, with no samples
        return;
    }
    runner->start();
    Q_EMIT started();
}

void RunSession::cancel()
{
    if (m_cancelled) {
        return;
    }
    m_cancelled = true;
    switch (m_phase) {
    case Phase::Idle:
        return; // start() ends the run at once
    case Phase::Targets:
        // The lookup's command is killed with the setup; the run is the plan as written.
        m_setup.reset();
        launch(m_plan, transports());
        return;
    case Phase::Topology:
        if (m_discovery) {
            disconnect(m_discovery.get(), nullptr, this, nullptr);
            m_discovery->cancel();
            m_discovery.release()->deleteLater();
        }
        launch(m_setup->plan(), m_setup->transports());
        return;
    case Phase::Running:
        m_runner->cancel();
        return;
    case Phase::Finished:
    case Phase::Failed:
        return;
    }
}

void RunSession::setTopologySnapshot(const QByteArray &json)
{
    m_snapshot = json;
    if (m_runner) {
        m_runner->setTopologySnapshot(json);
    }
    if (m_recorder) {
        m_recorder->setTopologySnapshot(json);
    }
    if (m_runner && (m_liveInterval > 0 || m_phase == Phase::Finished)) {
        diagnoseNow(); // the verdict can now read the topology
    }
}

void RunSession::diagnoseNow()
{
    m_diagnosisTimer.stop();
    const Run &current = run();
    if (current.topologyJson.isEmpty()) {
        m_diagnosis.reset();
        m_diagnosisError = QStringLiteral("the run has no topology snapshot");
        Q_EMIT diagnosisChanged();
        return;
    }
    // The snapshot is parsed once per run, not at every live update (a large runner's takes tens
    // of milliseconds on the caller's thread).
    if (current.topologyJson != m_diagnosedTopologyJson) {
        m_diagnosedTopologyJson = current.topologyJson;
        auto topology = readTopologyJson(current.topologyJson);
        m_topologyError = topology ? QString() : topology.error().toString();
        m_diagnosedTopology = topology ? std::optional<Topology>(std::move(topology).value()) : std::nullopt;
    }
    if (!m_diagnosedTopology) {
        m_diagnosis.reset();
        m_diagnosisError = m_topologyError;
    } else if (m_earlyVerdict && m_liveInterval > 0 && m_runner && m_runner->isRunning()) {
        // While the run goes on, a probe unanswered long after the runner's passed (or a lookup or
        // connect unanswered for seconds) is evidence already: look again soon, also when no
        // sample arrives meanwhile.
        QList<RunningProbe> running;
        for (const PlanRunner::Running &r : m_runner->running()) {
            running << RunningProbe { r.probeId, r.target, r.elapsedMs,
                r.kind == ProbeKind::Tcp || r.kind == ProbeKind::Dns };
        }
        m_diagnosis = diagnose(*m_diagnosedTopology, withStalledProbes(current, running));
        m_diagnosisError.clear();
        if (!running.isEmpty()) {
            m_diagnosisTimer.start(m_liveInterval);
        }
    } else {
        m_diagnosis = diagnose(*m_diagnosedTopology, current);
        m_diagnosisError.clear();
    }
    Q_EMIT diagnosisChanged();
}

} // namespace nestscope
