#include "planrunner.h"

#include "common/logging.h"
#include "probes.h"
#include "transport/transport.h"

#include <QDateTime>
#include <QRandomGenerator>

#include <algorithm>

namespace nestscope {

PlanRunner::PlanRunner(Plan plan, QHash<QString, Transport *> transports, QObject *parent)
    : QObject(parent)
    , m_plan(std::move(plan))
    , m_transports(std::move(transports))
{
    queueAll(true);
    for (int i = int(m_plan.probes.size()) - 1; i >= 0; --i) {
        m_probeIndex.insert(m_plan.probes.at(i).id, i); // the first probe of an id, as a search finds it
    }
    for (const Probe &p : std::as_const(m_plan.probes)) {
        m_run.probeIds << p.id;
        for (const QString &target : std::as_const(m_plan.targets)) {
            m_nextRepetition.insert(p.id + QLatin1Char('|') + target, p.repeat);
        }
    }
    m_run.planName = m_plan.name;
    m_run.planFile = m_plan.sourceFile;
    m_run.planText = m_plan.sourceText;
    m_run.variables = m_plan.variables;
    m_run.targets = m_plan.targets;
    if (!m_transports.isEmpty()) {
        const auto runner = m_transports.constFind(QStringLiteral("runner"));
        m_run.host = (runner != m_transports.cend() ? runner.value() : m_transports.cbegin().value())->description();
    }
}

PlanRunner::~PlanRunner()
{
    for (const Flight &f : std::as_const(m_inFlight)) {
        if (f.job) {
            f.job->disconnect(this);
            f.job->cancel();
        }
    }
}

void PlanRunner::queueAll(bool verdictFirst)
{
    // Repetition-major order: a short run already covers every probe and target once,
    // and a slow target shows up across the whole run rather than in one block. In the first
    // repetition the probes that tell causes apart come first on every target (verdictTier()):
    // the verdict can show while the slower and the repeated probes still run.
    clearPending();
    int maxRepeat = 0;
    for (const Probe &p : std::as_const(m_plan.probes)) {
        maxRepeat = std::max(maxRepeat, p.repeat);
    }
    QList<int> firstOrder;
    for (int i = 0; i < m_plan.probes.size(); ++i) {
        firstOrder << i;
    }
    if (verdictFirst) {
        std::stable_sort(firstOrder.begin(), firstOrder.end(), [this](int a, int b) {
            return verdictTier(m_plan.probes.at(a)) < verdictTier(m_plan.probes.at(b));
        });
    }
    for (int rep = 0; rep < maxRepeat; ++rep) {
        for (int n = 0; n < m_plan.probes.size(); ++n) {
            const int i = rep == 0 ? firstOrder.at(n) : n;
            if (rep >= m_plan.probes.at(i).repeat) {
                continue;
            }
            for (const QString &target : std::as_const(m_plan.targets)) {
                appendPending(Item { i, target, rep });
            }
        }
    }
}

void PlanRunner::keepPlanOrder()
{
    if (!m_running && m_run.samples.isEmpty()) {
        queueAll(false);
    }
}

int PlanRunner::verdictTier(const Probe &probe)
{
    switch (probe.kind) {
    case ProbeKind::Fact: // addresses, default routes, the resolver
        return 0;
    case ProbeKind::Dns:
    case ProbeKind::Tcp: // per family: the layer that separates forwarding from everything above
        return 1;
    case ProbeKind::Icmp:
        return 2;
    case ProbeKind::Http: // a bulk transfer waits for its guard anyway; a plain request is one more layer
        return probe.minBytes > 0 ? 4 : 3;
    case ProbeKind::Shell:
        return 3;
    case ProbeKind::Mtu:
    case ProbeKind::Package:
    case ProbeKind::Docker:
        return 4;
    }
    return 4;
}

QList<PlanRunner::Running> PlanRunner::running() const
{
    QList<Running> list;
    list.reserve(m_inFlight.size());
    for (const Flight &f : m_inFlight) {
        const Probe &p = m_plan.probes.at(f.item.probeIndex);
        list << Running { p.id, f.item.target, f.item.repetition,
            m_clock.isValid() ? m_clock.elapsed() - f.startedMs : 0, p.kind };
    }
    return list;
}

QString PlanRunner::key(int probeIndex, const QString &target, int repetition)
{
    return QStringLiteral("%1|%2|%3").arg(probeIndex).arg(target).arg(repetition);
}

void PlanRunner::setShuffle(bool shuffle, quint32 seed)
{
    m_shuffle = shuffle;
    m_seed = seed;
}

void PlanRunner::start()
{
    if (m_running || m_done > 0 || m_cancelled) {
        return;
    }
    if (m_shuffle) {
        // A guard on an earlier probe still holds: readiness() waits for the dependency.
        QRandomGenerator rng(m_seed);
        std::shuffle(m_pending.begin(), m_pending.end(), rng);
    }
    m_running = true;
    m_clock.start();
    m_run.startedAt = QDateTime::currentDateTimeUtc();
    qCInfo(lcPlan) << "running plan" << m_plan.name << "with" << m_pending.size() << "samples";
    Q_EMIT progress(0, total());
    pump();
}

void PlanRunner::cancel()
{
    if (!m_running && !m_cancelled && !m_clock.isValid()) {
        // Cancelled before it started (Ctrl+C while the command line still connects): the run
        // ends now, with no samples, and says so like any cancelled run.
        m_cancelled = true;
        m_run.cancelled = true;
        clearPending();
        m_run.startedAt = m_run.finishedAt = QDateTime::currentDateTimeUtc();
        Q_EMIT finished(true);
        return;
    }
    if (!m_running || m_cancelled) {
        return;
    }
    m_cancelled = true;
    m_run.cancelled = true;
    clearPending();
    // The jobs in flight report Cancelled and complete() finishes the run.
    const auto flights = m_inFlight;
    for (const Flight &f : flights) {
        if (f.job) {
            f.job->cancel();
        }
    }
    pump();
}

void PlanRunner::pause()
{
    if (m_running && !m_paused) {
        m_paused = true;
        Q_EMIT pausedChanged(true);
    }
}

void PlanRunner::resume()
{
    if (m_paused) {
        m_paused = false;
        Q_EMIT pausedChanged(false);
        pump();
    }
}

int PlanRunner::inFlightOn(const QString &target) const
{
    return int(std::count_if(m_inFlight.cbegin(), m_inFlight.cend(), [&](const Flight &f) {
        return f.item.target == target;
    }));
}

PlanRunner::Shares PlanRunner::shares() const
{
    Shares sh;
    for (const Flight &f : m_inFlight) {
        ++sh.inFlight[f.item.target];
    }
    for (auto it = m_pendingOn.cbegin(); it != m_pendingOn.cend(); ++it) {
        if (it.value() > 0 && (it.key() == QLatin1String("runner") || !sh.inFlight.contains(it.key()))) {
            sh.reserved << it.key();
        }
    }
    return sh;
}

bool PlanRunner::slotFreeFor(const QString &target, const Shares &sh) const
{
    if (!sh.inFlight.contains(target) || (target == QLatin1String("runner") && m_pendingOn.value(target) > 0)) {
        return true; // the reserve is for this one
    }
    const int others = int(sh.reserved.size()) - (sh.reserved.contains(target) ? 1 : 0);
    return int(m_inFlight.size()) + 1 + others <= m_plan.concurrency;
}

void PlanRunner::appendPending(const Item &item)
{
    m_pending.append(item);
    ++m_pendingOn[item.target];
}

void PlanRunner::clearPending()
{
    m_pending.clear();
    m_pendingOn.clear();
}

PlanRunner::Readiness PlanRunner::readiness(const Item &item, QString *skipReason) const
{
    if (inFlightOn(item.target) >= m_plan.targetConcurrency) {
        return Readiness::Wait;
    }
    const QString &dependency = m_plan.probes.at(item.probeIndex).when.probePassed;
    if (dependency.isEmpty()) {
        return Readiness::Ready;
    }
    const auto depIndex = int(std::find_if(m_plan.probes.cbegin(), m_plan.probes.cend(), [&](const Probe &p) {
        return p.id == dependency;
    }) - m_plan.probes.cbegin());
    // The same repetition when the dependency has one; else (a repeat count that differs, or a
    // rerun) wait for any of its runs still coming on this target, then take its latest result.
    const auto sameTarget = [&](const Item &i) {
        return i.probeIndex == depIndex && i.target == item.target;
    };
    const bool sameRepetition = item.repetition < m_plan.probes.at(depIndex).repeat;
    const auto matches = [&](const Item &i) {
        return sameTarget(i) && (!sameRepetition || i.repetition == item.repetition);
    };
    const bool coming = std::any_of(m_pending.cbegin(), m_pending.cend(), matches)
        || std::any_of(m_inFlight.cbegin(), m_inFlight.cend(), [&](const Flight &f) {
               return matches(f.item);
           });
    if (coming) {
        return Readiness::Wait;
    }
    int rep = item.repetition;
    if (!sameRepetition) {
        rep = -1;
        for (auto it = m_results.cbegin(); it != m_results.cend(); ++it) {
            const QStringList parts = it.key().split(QLatin1Char('|'));
            if (parts.size() == 3 && parts.at(0).toInt() == depIndex && parts.at(1) == item.target) {
                rep = std::max(rep, parts.at(2).toInt());
            }
        }
    }
    const auto result = m_results.constFind(key(depIndex, item.target, rep));
    if (result == m_results.cend()) {
        *skipReason = QStringLiteral("guard: %1 has no result on %2").arg(dependency, item.target);
        return Readiness::Skip;
    }
    if (result.value() != SampleStatus::Pass) {
        *skipReason
            = QStringLiteral("guard: %1 did not pass on %2 (%3)").arg(dependency, item.target, toText(result.value()));
        return Readiness::Skip;
    }
    return Readiness::Ready;
}

void PlanRunner::pump()
{
    if (!m_running) {
        return;
    }
    // Skipped samples complete synchronously and may unblock others, so loop until nothing moves.
    bool moved = true;
    while (moved && !m_cancelled && !m_paused) {
        moved = false;
        // Every target at its own limit: nothing in the queue can start, so do not walk it (with
        // thousands pending, walking it on every completion made a run quadratic).
        if (std::none_of(m_plan.targets.cbegin(), m_plan.targets.cend(), [this](const QString &t) {
                return inFlightOn(t) < m_plan.targetConcurrency;
            })) {
            break;
        }
        const Shares sh = shares();
        for (qsizetype i = 0; i < m_pending.size() && m_inFlight.size() < m_plan.concurrency; ++i) {
            QString reason;
            const Readiness r = readiness(m_pending.at(i), &reason);
            if (r == Readiness::Wait || (r == Readiness::Ready && !slotFreeFor(m_pending.at(i).target, sh))) {
                continue;
            }
            const Item item = m_pending.takeAt(i);
            --m_pendingOn[item.target];
            if (r == Readiness::Skip) {
                record(sampleWithoutRun(item, SampleStatus::Skipped, reason));
            } else {
                launch(item);
            }
            moved = true;
            break; // indices shifted; start over from the front to keep the order
        }
    }
    if (m_inFlight.isEmpty() && (m_cancelled || m_pending.isEmpty())) {
        m_running = false;
        if (m_paused) {
            m_paused = false;
            Q_EMIT pausedChanged(false);
        }
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
        // Recorded at once: pump(), which called us, goes on with the queue.
        record(sampleWithoutRun(
            item, SampleStatus::Error, QStringLiteral("no transport for target \"%1\"").arg(item.target)));
        return;
    }
    CommandRequest request;
    request.command = command;
    request.timeout = probe.timeout;
    request.outputCap = m_outputCap;
    CommandJob *job = transport->start(request);
    m_inFlight.append(Flight { job, item, m_clock.isValid() ? m_clock.elapsed() : 0 });
    connect(job, &CommandJob::finished, this, [this, job, item, command, startedAt](const CommandResult &result) {
        m_inFlight.removeIf([job](const Flight &f) {
            return f.job == job;
        });
        const Probe &p = m_plan.probes.at(item.probeIndex);
        Sample s = evaluateProbe(p, command, result);
        s.target = item.target;
        s.repetition = item.repetition;
        s.startedAt = startedAt;
        complete(s);
    });
}

Sample PlanRunner::sampleWithoutRun(const Item &item, SampleStatus status, const QString &message) const
{
    const Probe &probe = m_plan.probes.at(item.probeIndex);
    Sample s;
    s.probeId = probe.id;
    s.target = item.target;
    s.repetition = item.repetition;
    s.status = status;
    s.message = message;
    s.command = compileProbe(probe);
    s.startedAt = QDateTime::currentDateTimeUtc();
    return s;
}

void PlanRunner::record(const Sample &sample)
{
    // By id through a hash: a search of the plan per sample made a plan of 10,000 probes quadratic.
    const int probeIndex = m_probeIndex.value(sample.probeId, int(m_plan.probes.size()));
    m_results.insert(key(probeIndex, sample.target, sample.repetition), sample.status);
    ++m_done;
    if (m_keptOutput >= 0 && (sample.stdOut.size() > m_keptOutput || sample.stdErr.size() > m_keptOutput)) {
        // A copy of the first bytes, not a truncate(): that would keep the whole allocation.
        Sample kept = sample;
        for (auto [output, truncated] :
            { std::pair { &kept.stdOut, &kept.stdOutTruncated }, std::pair { &kept.stdErr, &kept.stdErrTruncated } }) {
            if (output->size() > m_keptOutput) {
                *output = QByteArray(output->constData(), m_keptOutput);
                *truncated = true;
            }
        }
        m_run.samples.append(kept);
    } else {
        m_run.samples.append(sample);
    }
    Q_EMIT sampleFinished(sample);
    Q_EMIT progress(m_done, total());
}

void PlanRunner::complete(const Sample &sample)
{
    record(sample);
    pump();
}

void PlanRunner::enqueueCell(int probeIndex, const QString &target)
{
    const Probe &p = m_plan.probes.at(probeIndex);
    int &next = m_nextRepetition[p.id + QLatin1Char('|') + target];
    for (int i = 0; i < p.repeat; ++i) {
        appendPending(Item { probeIndex, target, next++ });
    }
}

void PlanRunner::restartIfIdle()
{
    if (m_running) {
        pump();
        return;
    }
    if (m_pending.isEmpty()) {
        return;
    }
    m_cancelled = false; // a rerun after a cancelled run is a new decision to run
    m_running = true;
    if (!m_clock.isValid()) {
        m_clock.start();
        m_run.startedAt = QDateTime::currentDateTimeUtc();
    }
    Q_EMIT progress(m_done, total());
    pump();
}

void PlanRunner::rerunCell(const QString &probeId, const QString &target)
{
    for (int i = 0; i < m_plan.probes.size(); ++i) {
        if (m_plan.probes.at(i).id == probeId && m_plan.targets.contains(target)) {
            enqueueCell(i, target);
        }
    }
    restartIfIdle();
}

void PlanRunner::rerunProbe(const QString &probeId)
{
    for (int i = 0; i < m_plan.probes.size(); ++i) {
        if (m_plan.probes.at(i).id == probeId) {
            for (const QString &target : std::as_const(m_plan.targets)) {
                enqueueCell(i, target);
            }
        }
    }
    restartIfIdle();
}

QHash<QString, const Sample *> PlanRunner::newestPerCell() const
{
    QHash<QString, const Sample *> latest;
    for (const Sample &s : std::as_const(m_run.samples)) {
        const Sample *&l = latest[s.probeId + QLatin1Char('|') + s.target];
        if (!l || s.repetition >= l->repetition) {
            l = &s;
        }
    }
    return latest;
}

void PlanRunner::rerunFailed()
{
    // A cell counts by its newest sample: one that passed on a rerun is not run again.
    const auto latest = newestPerCell();
    for (int i = 0; i < m_plan.probes.size(); ++i) {
        for (const QString &target : std::as_const(m_plan.targets)) {
            const Sample *l = latest.value(m_plan.probes.at(i).id + QLatin1Char('|') + target);
            if (l && l->status != SampleStatus::Pass) {
                enqueueCell(i, target);
            }
        }
    }
    restartIfIdle();
}

bool PlanRunner::hasFailedCells() const
{
    const auto latest = newestPerCell();
    return std::any_of(latest.cbegin(), latest.cend(), [](const Sample *s) {
        return s->status != SampleStatus::Pass;
    });
}

} // namespace nestscope
