#include "planrunner.h"

#include "common/logging.h"
#include "probes.h"
#include "transport/transport.h"

#include <QDateTime>

namespace nestscope {

PlanRunner::PlanRunner(Plan plan, QHash<QString, Transport *> transports, QObject *parent)
    : QObject(parent)
    , m_plan(std::move(plan))
    , m_transports(std::move(transports))
{
    // Repetition-major order: a short run already covers every probe and target once,
    // and a slow target shows up across the whole run rather than in one block.
    int maxRepeat = 0;
    for (const Probe &p : std::as_const(m_plan.probes)) {
        maxRepeat = std::max(maxRepeat, p.repeat);
    }
    for (int rep = 0; rep < maxRepeat; ++rep) {
        for (int i = 0; i < m_plan.probes.size(); ++i) {
            if (rep >= m_plan.probes.at(i).repeat) {
                continue;
            }
            for (const QString &target : std::as_const(m_plan.targets)) {
                m_queue.append(Item { i, target, rep });
            }
        }
    }
    m_run.planName = m_plan.name;
    m_run.planFile = m_plan.sourceFile;
    m_run.targets = m_plan.targets;
    for (const Probe &p : std::as_const(m_plan.probes)) {
        m_run.probeIds << p.id;
    }
    if (!m_transports.isEmpty()) {
        m_run.host = m_transports.cbegin().value()->description();
    }
}

PlanRunner::~PlanRunner()
{
    for (const auto &job : std::as_const(m_inFlight)) {
        if (job) {
            job->disconnect(this);
            job->cancel();
        }
    }
}

void PlanRunner::start()
{
    if (m_running || m_done > 0) {
        return;
    }
    m_running = true;
    m_clock.start();
    m_run.startedAt = QDateTime::currentDateTimeUtc();
    qCInfo(lcPlan) << "running plan" << m_plan.name << "with" << m_queue.size() << "samples";
    Q_EMIT progress(0, total());
    pump();
}

void PlanRunner::cancel()
{
    if (!m_running || m_cancelled) {
        return;
    }
    m_cancelled = true;
    m_run.cancelled = true;
    // The queue is abandoned; the jobs in flight report Cancelled and complete() finishes the run.
    const auto jobs = m_inFlight;
    for (const auto &job : jobs) {
        if (job) {
            job->cancel();
        }
    }
    if (m_inFlight.isEmpty()) {
        pump();
    }
}

void PlanRunner::pump()
{
    while (!m_cancelled && m_next < m_queue.size() && m_inFlight.size() < m_plan.concurrency) {
        launch(m_queue.at(m_next++));
    }
    if (m_running && m_inFlight.isEmpty() && (m_cancelled || m_next >= m_queue.size())) {
        m_running = false;
        m_run.finishedAt = QDateTime::currentDateTimeUtc();
        qCInfo(lcPlan) << "plan" << m_plan.name << (m_cancelled ? "cancelled" : "finished") << "after"
                       << m_clock.elapsed() << "ms";
        Q_EMIT finished(m_cancelled);
    }
}

void PlanRunner::launch(const Item &item)
{
    const Probe &probe = m_plan.probes.at(item.probeIndex);
    Transport *transport = m_transports.value(item.target);
    const QString command = compileProbe(probe);
    const QDateTime startedAt = QDateTime::currentDateTimeUtc();
    if (!transport) {
        Sample s;
        s.probeId = probe.id;
        s.target = item.target;
        s.repetition = item.repetition;
        s.command = command;
        s.status = SampleStatus::Error;
        s.message = QStringLiteral("no transport for target \"%1\"").arg(item.target);
        s.startedAt = startedAt;
        complete(s);
        return;
    }
    CommandRequest request;
    request.command = command;
    request.timeout = probe.timeout;
    CommandJob *job = transport->start(request);
    m_inFlight.append(job);
    connect(job, &CommandJob::finished, this, [this, job, item, command, startedAt](const CommandResult &result) {
        m_inFlight.removeAll(job);
        const Probe &p = m_plan.probes.at(item.probeIndex);
        Sample s = evaluateProbe(p, command, result);
        s.target = item.target;
        s.repetition = item.repetition;
        s.startedAt = startedAt;
        complete(s);
    });
}

void PlanRunner::complete(const Sample &sample)
{
    ++m_done;
    m_run.samples.append(sample);
    Q_EMIT sampleFinished(sample);
    Q_EMIT progress(m_done, total());
    pump();
}

} // namespace nestscope
