#include "runrecorder.h"

#include "plan/planrunner.h"
#include "runstore.h"

#include <QTimer>

namespace nestscope {

RunRecorder::RunRecorder(RunStore *store, PlanRunner *runner, QObject *parent)
    : QObject(parent)
    , m_store(store)
{
    const Plan &plan = runner->plan();
    RunHeader header;
    header.planName = plan.name;
    header.planFile = plan.sourceFile;
    header.planText = plan.sourceText;
    for (auto it = plan.variables.cbegin(); it != plan.variables.cend(); ++it) {
        header.variables.insert(it.key(), it.value());
    }
    header.host = runner->run().host;
    header.topologyJson = runner->run().topologyJson;
    header.probeIds = runner->run().probeIds;
    header.targets = runner->run().targets;
    header.startedAt = QDateTime::currentDateTimeUtc();
    const auto id = store ? store->beginRun(header) : Result<qint64>(Error { QStringLiteral("no run store"), {} });
    if (!id) {
        // Said after the constructor returns, so whoever connects to failed() hears it.
        const QString message = id.error().toString();
        m_error = message;
        m_cause = id.error().message;
        QTimer::singleShot(0, this, [this, message] {
            Q_EMIT failed(message);
        });
        return;
    }
    m_runId = *id;
    connect(runner, &PlanRunner::sampleFinished, this, [this](const Sample &sample) {
        if (m_store && isRecording()) {
            m_store->addSample(m_runId, sample);
        }
    });
    connect(runner, &PlanRunner::finished, this, [this, runner](bool cancelled) {
        if (m_store && isRecording()) {
            m_store->finishRun(
                m_runId, cancelled ? RunStatus::Cancelled : RunStatus::Finished, runner->run().finishedAt);
        }
    });
    connect(store, &RunStore::samplesCommitted, this, [this](qint64 runId, int committed) {
        if (runId == m_runId) {
            m_committed = committed;
        }
    });
    connect(store, &RunStore::writeFailed, this, [this](qint64 runId, const QString &message) {
        if (runId == m_runId) {
            fail(QStringLiteral("%1: %2").arg(m_store ? m_store->path() : QString(), message), message);
        }
    });
}

void RunRecorder::setTopologySnapshot(const QByteArray &topologyJson)
{
    if (!m_store || !isRecording()) {
        return;
    }
    if (const auto r = m_store->setTopology(m_runId, topologyJson); !r) {
        fail(r.error().toString(), r.error().message);
    }
}

void RunRecorder::fail(const QString &message, const QString &cause)
{
    if (m_error.isEmpty()) {
        m_error = message;
        m_cause = cause;
        Q_EMIT failed(message);
    }
}

} // namespace nestscope
