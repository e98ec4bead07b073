#include "report.h"

#include "plan/probes.h"
#include "topology/layout.h"
#include "topology/problems.h"
#include "topology/topologyjson.h"

#include <QHash>
#include <QJsonDocument>
#include <QSet>

#include <algorithm>
#include <vector>

namespace nestscope {

namespace {

std::optional<bool> verdictFor(const EdgeResults &results, const QStringList &targets, TopoEdge::Family family)
{
    bool anyPass = false;
    for (const QString &t : targets) {
        const auto families = results.value(t);
        const auto it = families.constFind(family);
        if (it == families.cend()) {
            continue;
        }
        if (!it.value()) {
            return false;
        }
        anyPass = true;
    }
    return anyPass ? std::optional<bool>(true) : std::nullopt;
}

QString instanceOf(const TopologyGraph &graph, const QString &id)
{
    if (id.startsWith(QLatin1String("inst:"))) {
        return id.mid(5);
    }
    if (id.startsWith(QLatin1String("nic:"))) {
        const TopoNode *n = graph.node(id);
        if (n && n->parentId.startsWith(QLatin1String("inst:"))) {
            return n->parentId.mid(5);
        }
        return id.mid(4).section(QLatin1Char('/'), 0, 0);
    }
    return {};
}

Report::RunInfo runInfo(const Plan *plan, const Run &run)
{
    Report::RunInfo info;
    info.planName = run.planName;
    info.host = run.host;
    info.startedAt = run.startedAt;
    info.finishedAt = run.finishedAt;
    info.cancelled = run.cancelled;
    info.samples = run.samples.size();
    for (const Sample &s : run.samples) {
        const bool holds = plan ? expectationHolds(*plan, s) : s.status == SampleStatus::Pass;
        info.broken += holds ? 0 : 1;
    }
    return info;
}

bool cellPasses(const MatrixCell &cell)
{
    return !cell.isEmpty() && cell.passed == cell.total;
}

bool cellFails(const MatrixCell &cell)
{
    return !cell.isEmpty() && cell.passed < cell.total;
}

Report::Environment environmentOf(const Topology &t)
{
    Report::Environment env;
    env.known = true;
    env.runner = t.hostname;
    env.transport = t.transport;
    env.kernel = t.kernel;
    if (!t.lxdClient.isEmpty()) {
        env.lxd = QString(t.lxdClient + QLatin1Char(' ') + t.lxdServerVersion).trimmed();
    }
    env.lxdFirewallDriver = t.lxdFirewallDriver;
    const auto policy = [](const QString &p) {
        return p.isEmpty() ? QStringLiteral("no chain (accept)") : p;
    };
    env.firewall = QStringLiteral("%1; FORWARD policy IPv4 %2, IPv6 %3%4")
                       .arg(t.firewall.backend.isEmpty() ? QStringLiteral("backend unknown") : t.firewall.backend,
                           policy(t.firewall.forwardPolicyV4), policy(t.firewall.forwardPolicyV6),
                           t.firewall.hasDockerUserChain ? QStringLiteral("; a DOCKER-USER chain exists") : QString());
    const auto sysctl = [&t](const char *name) {
        const QString value = t.sysctl(QLatin1String(name));
        return QStringLiteral("%1 = %2").arg(QLatin1String(name), value.isEmpty() ? QStringLiteral("not read") : value);
    };
    env.ipForward = sysctl("net.ipv4.ip_forward") + QStringLiteral(", ") + sysctl("net.ipv6.conf.all.forwarding");
    QStringList routes;
    for (const auto family : { TopoAddress::Family::IPv4, TopoAddress::Family::IPv6 }) {
        const QString name = family == TopoAddress::Family::IPv4 ? QStringLiteral("IPv4") : QStringLiteral("IPv6");
        const auto route = t.defaultRoute(family);
        if (!route) {
            routes << name + QStringLiteral(" none");
        } else {
            routes << QStringLiteral("%1 %2dev %3")
                          .arg(name,
                              route->gateway.isEmpty() ? QString() : QStringLiteral("via %1 ").arg(route->gateway),
                              route->device);
        }
    }
    env.defaultRoutes = routes.join(QStringLiteral("; "));
    QStringList rules;
    for (const TopoRule &rule : t.rules) {
        const bool standard = rule.action.isEmpty() && rule.from == QLatin1String("all") && rule.to.isEmpty()
            && rule.iif.isEmpty() && rule.oif.isEmpty() && rule.fwmark.isEmpty() && !rule.invert
            && (rule.table == QLatin1String("local") || rule.table == QLatin1String("main")
                || rule.table == QLatin1String("default"));
        if (!standard) {
            rules << rule.line();
        }
    }
    env.policyRules = t.rules.isEmpty() ? QStringLiteral("not read")
        : rules.isEmpty()               ? QStringLiteral("only the standard local, main and default lookups")
                                        : rules.join(QStringLiteral("; "));
    QStringList proxies;
    for (const TopoProxy &proxy : t.proxies) {
        proxies << proxy.line();
    }
    env.proxies = proxies.isEmpty() ? QStringLiteral("none (or not read)") : proxies.join(QStringLiteral("; "));
    for (const TopoNetwork &n : t.networks) {
        if (!n.managed) {
            continue; // the host's own interfaces are in the graph; the bridges LXD made are what matters
        }
        Report::Bridge b;
        b.name = n.name;
        b.type = n.type;
        b.ipv4 = n.ipv4Address();
        b.ipv6 = n.ipv6Address();
        b.ipv4Nat = n.ipv4Nat();
        b.ipv6Nat = n.ipv6Nat();
        b.mtu = t.bridgeMtu(n);
        for (const QString &user : n.usedBy) {
            if (user.startsWith(QLatin1String("/1.0/instances/"))) {
                b.usedBy << user.mid(15).section(QLatin1Char('?'), 0, 0);
            }
        }
        env.bridges << b;
    }
    QList<TopoProblem> problems = findProblems(t);
    std::stable_sort(problems.begin(), problems.end(), [](const TopoProblem &a, const TopoProblem &b) {
        return a.severity == TopoProblem::Severity::Error && b.severity != TopoProblem::Severity::Error;
    });
    // The same rule on the same kind of node ("no-ipv4" on instances, not the bridge's "no-ipv4").
    const auto ruleKey = [](const TopoProblem &p) -> QString {
        return p.id + QLatin1Char(' ') + p.nodeId.section(QLatin1Char(':'), 0, 0);
    };
    QHash<QString, int> count;
    for (const TopoProblem &p : std::as_const(problems)) {
        ++count[ruleKey(p)];
    }
    QHash<QString, qsizetype> first; // rule -> its entry, for a rule that holds on more than 3 nodes
    for (const TopoProblem &p : std::as_const(problems)) {
        const QString key = ruleKey(p);
        if (count.value(key) > 3) {
            if (const auto it = first.constFind(key); it != first.cend()) {
                env.problems[*it].alsoOn << p.nodeId;
                continue;
            }
            first.insert(key, env.problems.size());
        }
        env.problems << Report::Environment::Problem { p, {} };
    }
    for (const TopoInstance &i : t.instances) {
        Report::Instance inst;
        inst.name = i.name;
        inst.type = i.type;
        inst.status = i.status;
        for (const TopoNic &nic : i.nics) {
            for (const TopoAddress &a : nic.addresses) {
                if (a.isGlobal()) {
                    inst.addresses << nic.device + QLatin1Char(' ') + a.cidr();
                }
            }
        }
        env.instances << inst;
    }
    return env;
}

QString listText(const QStringList &items)
{
    if (items.size() <= 1) {
        return items.join(QString());
    }
    return QStringList(items.mid(0, items.size() - 1)).join(QStringLiteral(", ")) + QStringLiteral(" and ")
        + items.constLast();
}

// Above this many targets, instances with the same verdicts share a column of the symptoms.
constexpr int kMaxColumns = 8;

QString summaryOf(const Report &r)
{
    QString text;
    // What is broken.
    if (r.run.samples == 0) {
        text = QStringLiteral("The run recorded no sample, so nothing can be said about the network yet.");
    } else if (r.run.broken == 0) {
        text = QStringLiteral("Every expectation held on %1 (%2 samples).")
                   .arg(r.matrix.columnCount() > 6 ? targetList(r.matrix.targets()) : listText(r.matrix.targets()))
                   .arg(r.run.samples);
    } else {
        QStringList failingTargets;
        QStringList failingProbes;
        for (const Report::Failure &f : r.failures) {
            for (const QString &t : f.targets) {
                if (!failingTargets.contains(t)) {
                    failingTargets << t;
                }
            }
            if (!failingProbes.contains(f.probeId)) {
                failingProbes << f.probeId;
            }
        }
        const int shown = 6;
        QString probes = QStringList(failingProbes.mid(0, shown)).join(QStringLiteral(", "));
        if (failingProbes.size() > shown) {
            probes += QStringLiteral(" and %1 more").arg(failingProbes.size() - shown);
        }
        text = QStringLiteral("%1 of %2 samples broke an expectation, on %3 (%4).")
                   .arg(r.run.broken)
                   .arg(r.run.samples)
                   .arg(failingTargets.size() > 6 ? targetList(failingTargets) : listText(failingTargets), probes);
    }
    if (r.run.cancelled) {
        text += QStringLiteral(" The run was cancelled before it finished, so what did not run proves nothing.");
    }
    // The cause and the fix.
    if (!r.diagnosis) {
        text += QStringLiteral(" No diagnosis: %1.").arg(r.noDiagnosisWhy);
    } else if (r.diagnosis->findings.isEmpty()) {
        text += r.run.broken == 0 ? QString() : QStringLiteral(" No findings yet: ") + r.diagnosis->summary;
    } else {
        const Finding &top = r.diagnosis->findings.constFirst();
        text += QStringLiteral(" The most likely cause (%1 confidence): %2.")
                    .arg(toText(top.confidence).toLower(), top.title);
        if (!top.fix.isEmpty()) {
            text += QStringLiteral(" The fix: `%1`%2.")
                        .arg(top.fix.constFirst().command,
                            top.fix.size() > 1 ? QStringLiteral(" and %1 more steps").arg(top.fix.size() - 1)
                                               : QString());
        } else {
            text += QStringLiteral(" There is no safe change to suggest; see the checks below.");
        }
    }
    // Whether the fix was verified.
    if (const auto &v = r.verification) {
        const QString later = v->later.startedAt.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm"));
        switch (v->outcome) {
        case Report::Verification::Outcome::Verified:
            text
                += QStringLiteral(" Verified: in the later run (%1 UTC) %2 cells were fixed, none broke and none still "
                                  "fails.")
                       .arg(later)
                       .arg(v->fixed);
            break;
        case Report::Verification::Outcome::Partly: {
            QStringList cells;
            for (const CellComparison &c : v->stillFailing) {
                cells << QStringLiteral("%1 on %2").arg(c.probeId, c.target);
            }
            text += QStringLiteral(" Partly verified: in the later run (%1 UTC) %2 cells were fixed and none broke, "
                                   "but %3 still %4: %5.")
                        .arg(later)
                        .arg(v->fixed)
                        .arg(v->stillFailing.size())
                        .arg(v->stillFailing.size() == 1 ? QStringLiteral("fails") : QStringLiteral("fail"),
                            listText(cells));
            break;
        }
        case Report::Verification::Outcome::NotVerified:
            text
                += QStringLiteral(" Not verified: in the later run (%1 UTC) %2 cells were fixed, %3 broke and %4 still "
                                  "fail.")
                       .arg(later)
                       .arg(v->fixed)
                       .arg(v->broke)
                       .arg(v->stillFailing.size());
            break;
        }
    } else if (r.run.broken > 0) {
        text += QStringLiteral(" Not verified yet: run the plan again after the fix and compare the two runs.");
    }
    return text;
}

} // namespace

QString targetList(const QStringList &targets)
{
    if (targets.size() <= 6) {
        return targets.join(QStringLiteral(", "));
    }
    return QStringLiteral("%1, %2, %3 … %4 (%5 targets)")
        .arg(targets.at(0), targets.at(1), targets.at(2), targets.constLast())
        .arg(targets.size());
}

QList<EdgeVerdict> edgeVerdicts(const TopologyGraph &graph, const EdgeResults &results)
{
    // Which targets' verdicts an edge carries: an instance's own edges carry that instance's;
    // a bridge's route to the uplink carries every instance on the bridge; the runner's, its own.
    QMap<QString, QStringList> instancesOnBridge;
    for (const TopoEdge &e : graph.edges) {
        const QString a = instanceOf(graph, e.from);
        const QString b = instanceOf(graph, e.to);
        if (!a.isEmpty() && e.to.startsWith(QLatin1String("net:"))) {
            instancesOnBridge[e.to] << a;
        } else if (!b.isEmpty() && e.from.startsWith(QLatin1String("net:"))) {
            instancesOnBridge[e.from] << b;
        }
    }
    QList<EdgeVerdict> verdicts;
    verdicts.reserve(graph.edges.size());
    for (const TopoEdge &e : graph.edges) {
        EdgeVerdict v;
        if (results.isEmpty()) {
            verdicts << v;
            continue;
        }
        for (const QString &end : { e.from, e.to }) {
            if (const QString inst = instanceOf(graph, end); !inst.isEmpty()) {
                v.targets << inst;
            }
        }
        if (v.targets.isEmpty()) {
            for (const QString &end : { e.from, e.to }) {
                v.targets << instancesOnBridge.value(end);
            }
        }
        if (v.targets.isEmpty() && !e.from.startsWith(QLatin1String("net:")) && !e.to.startsWith(QLatin1String("net:"))
            && !e.from.startsWith(QLatin1String("if:docker")) && !e.to.startsWith(QLatin1String("if:docker"))) {
            v.targets << QStringLiteral("runner");
        }
        if (e.family != TopoEdge::Family::IPv6) {
            v.ipv4 = verdictFor(results, v.targets, TopoEdge::Family::IPv4);
        }
        if (e.family != TopoEdge::Family::IPv4) {
            v.ipv6 = verdictFor(results, v.targets, TopoEdge::Family::IPv6);
        }
        const int passes = (v.ipv4 && *v.ipv4) + (v.ipv6 && *v.ipv6);
        const int fails = (v.ipv4 && !*v.ipv4) + (v.ipv6 && !*v.ipv6);
        v.look = fails > 0 && passes > 0 ? EdgeVerdict::Look::Mixed
            : fails > 0                  ? EdgeVerdict::Look::Fail
            : passes > 0                 ? EdgeVerdict::Look::Pass
                                         : EdgeVerdict::Look::Unknown;
        verdicts << v;
    }
    return verdicts;
}

Report buildReport(const ReportInput &input)
{
    Q_ASSERT(input.run);
    const Run &run = *input.run;
    Report r;
    std::optional<Plan> parsed;
    const Plan *plan = input.plan;
    if (!plan && !run.planText.isEmpty()) {
        if (auto p = parsePlan(run.planText, run.planFile, run.variables)) {
            parsed = std::move(p).value();
            plan = &*parsed;
        }
    }
    r.run = runInfo(plan, run);
    r.matrix = Matrix::fromRun(run);
    r.title = QStringLiteral("%1 on %2")
                  .arg(run.planName.isEmpty() ? QStringLiteral("Run") : run.planName,
                      run.host.isEmpty() ? QStringLiteral("the runner") : run.host);

    // Environment, from the run's own snapshot.
    std::optional<Topology> topology;
    if (run.topologyJson.isEmpty()) {
        r.environment.unknownWhy = QStringLiteral("the run has no topology snapshot (it ran with --no-topology, or "
                                                  "discovery failed)");
    } else {
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(run.topologyJson, &error);
        auto t = doc.isObject() ? topologyFromJson(doc.object())
                                : Result<Topology>(Error { error.errorString(), QStringLiteral("topology snapshot") });
        if (t) {
            topology = std::move(t).value();
            r.environment = environmentOf(*topology);
        } else {
            r.environment.unknownWhy
                = QStringLiteral("the run's topology snapshot does not parse: ") + t.error().toString();
        }
    }

    // The diagnosis: given, or made from the snapshot.
    if (input.diagnosis) {
        r.diagnosis = *input.diagnosis;
    } else if (topology) {
        r.diagnosis = diagnose(*topology, run);
    } else {
        r.noDiagnosisWhy = r.environment.unknownWhy;
    }

    // Symptoms: where runner and instances differ, and the first broken sample of each cell.
    const int runnerColumn = int(r.matrix.targets().indexOf(QStringLiteral("runner")));
    for (int row = 0; row < r.matrix.rowCount(); ++row) {
        if (runnerColumn < 0) {
            break;
        }
        const MatrixCell &onRunner = r.matrix.cell(row, runnerColumn);
        if (onRunner.isEmpty()) {
            continue;
        }
        Report::Difference d;
        d.probeId = r.matrix.probeIds().at(row);
        d.runnerPassed = cellPasses(onRunner);
        for (int c = 0; c < r.matrix.columnCount(); ++c) {
            const MatrixCell &cell = r.matrix.cell(row, c);
            if (c == runnerColumn || cell.isEmpty()) {
                continue;
            }
            (cellPasses(cell) ? d.instancesPassing : d.instancesFailing) << r.matrix.targets().at(c);
        }
        if ((d.runnerPassed && !d.instancesFailing.isEmpty()) || (!d.runnerPassed && !d.instancesPassing.isEmpty())) {
            r.differences << d;
        }
    }
    // Columns: on a large runner, instances whose verdict is the same on every probe read as one
    // column (a table of 238 columns informs nobody); the runner always has its own.
    QHash<QString, QString> columnOf; // target -> its column's label
    if (r.matrix.columnCount() > kMaxColumns) {
        QMap<QString, QStringList> byVerdicts;
        QStringList order;
        for (int c = 0; c < r.matrix.columnCount(); ++c) {
            const QString &target = r.matrix.targets().at(c);
            QString key = target == QLatin1String("runner") ? QStringLiteral("runner") : QString();
            if (key.isEmpty()) {
                for (int row = 0; row < r.matrix.rowCount(); ++row) {
                    const MatrixCell &cell = r.matrix.cell(row, c);
                    key += cell.isEmpty()  ? (cell.skipped > 0 ? QLatin1Char('s') : QLatin1Char('-'))
                        : cellPasses(cell) ? QLatin1Char('p')
                        : cell.passed == 0 ? QLatin1Char('f')
                                           : QLatin1Char('m');
                }
            }
            if (!byVerdicts.contains(key)) {
                order << key;
            }
            byVerdicts[key] << target;
        }
        for (const QString &key : std::as_const(order)) {
            const QStringList &targets = byVerdicts[key];
            const QString label = targets.size() == 1 ? targets.constFirst() : targetList(targets);
            if (targets.size() > 1) {
                r.mergedColumns.insert(label, targets);
            }
            for (const QString &t : targets) {
                columnOf.insert(t, label);
            }
        }
    }
    const auto column = [&columnOf](const QString &target) {
        return columnOf.value(target, target);
    };
    QStringList columns;
    for (const QString &target : r.matrix.targets()) {
        if (!columns.contains(column(target))) {
            columns << column(target);
        }
    }
    r.symptoms = Matrix(r.matrix.probeIds(), columns); // the run's order, not the samples'

    QSet<QString> seenCells;
    QHash<QString, qsizetype> failureOf; // probe, status and message -> index in failures
    QHash<QString, QList<Report::Command>> commandsOf;
    QStringList commandOrder;
    QHash<QString, std::vector<double>> passLatencies; // per cell: the chart plots passing samples only
    for (const Sample &s : run.samples) {
        const QString key = s.target + QChar(0) + s.probeId;
        Sample shown = s;
        shown.target = column(s.target);
        r.symptoms.add(shown);
        if (s.status == SampleStatus::Pass) {
            passLatencies[shown.target + QChar(0) + s.probeId].push_back(s.latencyMs);
        }
        if (!commandsOf.contains(s.target)) {
            commandOrder << s.target;
        }
        QList<Report::Command> &commands = commandsOf[s.target];
        const auto known = std::find_if(commands.begin(), commands.end(), [&](const Report::Command &c) {
            return c.probeId == s.probeId && c.command == s.command;
        });
        if (known == commands.end()) {
            commands << Report::Command { s.probeId, s.command, 1 };
        } else {
            ++known->times;
        }
        const bool holds = plan ? expectationHolds(*plan, s) : s.status == SampleStatus::Pass;
        if (holds || seenCells.contains(key)) {
            continue;
        }
        seenCells.insert(key);
        // The same failure on several targets (the same probe, verdict and message) is told once.
        const QString why = s.message.isEmpty() ? QStringLiteral("passed, but the plan expects it to fail") : s.message;
        const QString failureKey = s.probeId + QChar(0) + toText(s.status) + QChar(0) + why;
        if (const auto it = failureOf.constFind(failureKey); it != failureOf.cend()) {
            Report::Failure &f = r.failures[*it];
            f.targets << s.target;
            // The output shown is the first target's in the matrix's order, whatever order they ran in.
            if (r.matrix.targets().indexOf(s.target) < r.matrix.targets().indexOf(f.sample.target)) {
                f.sample = s;
            }
            continue;
        }
        failureOf.insert(failureKey, r.failures.size());
        r.failures << Report::Failure { s.probeId, { s.target }, s, why };
    }
    // In the matrix's order (probe, then target), which is the order a reader scans the table in.
    for (Report::Failure &f : r.failures) {
        std::sort(f.targets.begin(), f.targets.end(), [&](const QString &a, const QString &b) {
            return r.matrix.targets().indexOf(a) < r.matrix.targets().indexOf(b);
        });
    }
    std::stable_sort(r.failures.begin(), r.failures.end(), [&](const Report::Failure &a, const Report::Failure &b) {
        const auto ra = r.matrix.probeIds().indexOf(a.probeId);
        const auto rb = r.matrix.probeIds().indexOf(b.probeId);
        if (ra != rb) {
            return ra < rb;
        }
        return r.matrix.targets().indexOf(a.targets.constFirst()) < r.matrix.targets().indexOf(b.targets.constFirst());
    });
    // The appendix: targets that ran the same commands as often are listed once.
    for (const QString &target : std::as_const(commandOrder)) {
        const QList<Report::Command> &commands = commandsOf.value(target);
        const auto same = std::find_if(r.commands.begin(), r.commands.end(), [&](const Report::CommandGroup &g) {
            return g.commands == commands;
        });
        if (same != r.commands.end()) {
            same->targets << target;
        } else {
            r.commands << Report::CommandGroup { { target }, commands };
        }
    }

    for (int row = 0; row < r.symptoms.rowCount(); ++row) {
        for (int c = 0; c < r.symptoms.columnCount(); ++c) {
            const QString &probe = r.symptoms.probeIds().at(row);
            const QString &target = r.symptoms.targets().at(c);
            const MatrixCell &cell = r.symptoms.cell(row, c);
            if (cell.isEmpty()) {
                continue;
            }
            Report::ChartRow chartRow { probe, target, {}, cell.passRate() };
            auto &latencies = passLatencies[target + QChar(0) + probe];
            std::sort(latencies.begin(), latencies.end());
            if (!latencies.empty()) {
                chartRow.latency.count = int(latencies.size());
                chartRow.latency.min = latencies.front();
                chartRow.latency.q1 = percentile(latencies, 0.25);
                chartRow.latency.median = percentile(latencies, 0.5);
                chartRow.latency.q3 = percentile(latencies, 0.75);
                chartRow.latency.p95 = percentile(latencies, 0.95);
                chartRow.latency.max = latencies.back();
            }
            r.chart << chartRow;
        }
    }

    // The verification against a later run.
    if (input.later) {
        Report::Verification v;
        std::optional<Plan> laterParsed;
        const Plan *laterPlan = nullptr;
        if (auto p = parsePlan(input.later->planText, input.later->planFile, input.later->variables)) {
            laterParsed = std::move(p).value();
            laterPlan = &*laterParsed;
        }
        v.later = runInfo(laterPlan ? laterPlan : plan, *input.later);
        v.comparison = Comparison::compare(r.matrix, Matrix::fromRun(*input.later));
        for (int row = 0; row < v.comparison.rowCount(); ++row) {
            for (int c = 0; c < v.comparison.columnCount(); ++c) {
                const CellComparison &cell = v.comparison.cell(row, c);
                // The comparison names cells failing in both runs itself now; either way they are
                // listed apart from what changed.
                if (cell.change == CellChange::StillFailing
                    || (cell.change == CellChange::Same && cellFails(cell.before) && cellFails(cell.after))) {
                    v.stillFailing << cell;
                } else if (cell.change != CellChange::Same) {
                    v.changed << cell;
                }
            }
        }
        if (v.later.host != r.run.host) {
            v.caveats << QStringLiteral("The later run is from another runner (%1, this one from %2): the cells "
                                        "compare different machines.")
                             .arg(v.later.host, r.run.host);
        }
        if (v.later.planName != r.run.planName) {
            v.caveats << QStringLiteral("The later run ran another plan (%1, this one %2): only the probes both "
                                        "have compare.")
                             .arg(v.later.planName, r.run.planName);
        }
        if (v.later.startedAt.isValid() && r.run.startedAt.isValid() && v.later.startedAt < r.run.startedAt) {
            v.caveats << QStringLiteral("The later run started before this one (%1 against %2): check that the two "
                                        "runs are given in the right order.")
                             .arg(v.later.startedAt.toUTC().toString(Qt::ISODate),
                                 r.run.startedAt.toUTC().toString(Qt::ISODate));
        }
        v.fixed = v.comparison.count(CellChange::Fixed);
        v.broke = v.comparison.count(CellChange::Broke);
        if (input.laterDiagnosis) {
            v.laterDiagnosis = *input.laterDiagnosis;
        } else if (auto d = diagnoseRun(*input.later)) {
            v.laterDiagnosis = std::move(d).value();
        }
        v.outcome = v.fixed == 0 || v.broke > 0 ? Report::Verification::Outcome::NotVerified
            : v.stillFailing.isEmpty()          ? Report::Verification::Outcome::Verified
                                                : Report::Verification::Outcome::Partly;
        r.verification = v;
    }
    r.experiments = input.experiments;
    std::sort(r.experiments.begin(), r.experiments.end(), [](const Experiment &a, const Experiment &b) {
        return a.id < b.id;
    });

    if (input.withFigure && topology) {
        r.graph = buildTopologyGraph(*topology);
        if (auto layout = layoutTopology(r.graph)) {
            r.layout = std::move(layout).value();
            r.edges = edgeVerdicts(r.graph, edgeResultsFromRun(run, plan));
        }
    }

    r.summary = summaryOf(r);
    return r;
}

} // namespace nestscope
