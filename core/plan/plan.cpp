#include "plan.h"

#include "common/logging.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QSet>

#include <cmath>
#include <string>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

namespace nestscope {

QString toText(ProbeKind kind)
{
    switch (kind) {
    case ProbeKind::Shell:
        return QStringLiteral("shell");
    case ProbeKind::Http:
        return QStringLiteral("http");
    }
    return {};
}

const Probe *Plan::probe(const QString &id) const
{
    for (const Probe &p : probes) {
        if (p.id == id) {
            return &p;
        }
    }
    return nullptr;
}

int Plan::sampleCount() const
{
    int n = 0;
    for (const Probe &p : probes) {
        n += p.repeat * static_cast<int>(targets.size());
    }
    return n;
}

std::optional<std::chrono::milliseconds> parseDuration(const QString &text)
{
    static const QRegularExpression re(QStringLiteral("^\\s*(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)?\\s*$"));
    const auto m = re.match(text);
    if (!m.hasMatch()) {
        return std::nullopt;
    }
    const double value = m.captured(1).toDouble();
    const QString unit = m.captured(2);
    double factor = 1000.0;
    if (unit == QLatin1String("ms")) {
        factor = 1.0;
    } else if (unit == QLatin1String("m")) {
        factor = 60'000.0;
    } else if (unit == QLatin1String("h")) {
        factor = 3'600'000.0;
    }
    const double ms = value * factor;
    if (ms < 1.0 || ms > 24.0 * 3'600'000.0) {
        return std::nullopt;
    }
    return std::chrono::milliseconds(static_cast<qint64>(std::llround(ms)));
}

namespace {

// Thrown only inside this file and caught in parsePlan: it keeps the walk over the YAML tree
// readable while every error still leaves with its position.
struct PlanError {
    QString message;
    YAML::Mark mark;
};

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

[[noreturn]] void fail(const YAML::Node &node, const QString &message)
{
    throw PlanError { message, node.Mark() };
}

QString scalar(const YAML::Node &node, const QString &what)
{
    if (!node.IsScalar()) {
        fail(node, QStringLiteral("%1 must be a text value").arg(what));
    }
    return qs(node.Scalar());
}

int integer(const YAML::Node &node, const QString &what, int min, int max)
{
    const QString text = scalar(node, what);
    bool ok = false;
    const int value = text.toInt(&ok);
    if (!ok || value < min || value > max) {
        fail(node,
            QStringLiteral("%1 must be a whole number from %2 to %3, not \"%4\"")
                .arg(what)
                .arg(min)
                .arg(max)
                .arg(text));
    }
    return value;
}

std::chrono::milliseconds duration(const YAML::Node &node, const QString &what)
{
    const QString text = scalar(node, what);
    const auto d = parseDuration(text);
    if (!d) {
        fail(node, QStringLiteral("%1: \"%2\" is not a duration; write e.g. 500ms, 10s or 2m").arg(what, text));
    }
    return *d;
}

void checkKeys(const YAML::Node &map, const QStringList &allowed, const QString &where)
{
    for (auto it = map.begin(); it != map.end(); ++it) {
        const QString key = qs(it->first.Scalar());
        if (!allowed.contains(key)) {
            fail(it->first,
                QStringLiteral("unknown key \"%1\" in %2; expected one of: %3")
                    .arg(key, where, allowed.join(QStringLiteral(", "))));
        }
    }
}

const QRegularExpression &idPattern()
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"));
    return re;
}

Probe parseProbe(const YAML::Node &node, const Plan &plan)
{
    if (!node.IsMap()) {
        fail(node, QStringLiteral("each probe must be a mapping with at least id and kind"));
    }
    Probe probe;
    probe.line = node.Mark().line + 1;
    if (!node["id"]) {
        fail(node, QStringLiteral("probe has no id; add e.g. \"id: http-example\""));
    }
    probe.id = scalar(node["id"], QStringLiteral("id"));
    if (!idPattern().match(probe.id).hasMatch()) {
        fail(node["id"],
            QStringLiteral("probe id \"%1\" may only use letters, digits, '.', '_' and '-' (at most 64)")
                .arg(probe.id));
    }
    if (!node["kind"]) {
        fail(node, QStringLiteral("probe \"%1\" has no kind; use shell or http").arg(probe.id));
    }
    const QString kind = scalar(node["kind"], QStringLiteral("kind"));
    const QStringList common { QStringLiteral("id"), QStringLiteral("kind"), QStringLiteral("description"),
        QStringLiteral("timeout"), QStringLiteral("repeat") };
    const QString where = QStringLiteral("probe \"%1\"").arg(probe.id);
    if (kind == QLatin1String("shell")) {
        probe.kind = ProbeKind::Shell;
        checkKeys(node,
            common
                + QStringList { QStringLiteral("command"), QStringLiteral("expect_exit"),
                    QStringLiteral("expect_stdout") },
            where);
        if (!node["command"]) {
            fail(node, QStringLiteral("shell probe \"%1\" needs a command").arg(probe.id));
        }
        probe.command = scalar(node["command"], QStringLiteral("command"));
        if (probe.command.trimmed().isEmpty()) {
            fail(node["command"], QStringLiteral("the command of probe \"%1\" is empty").arg(probe.id));
        }
        if (node["expect_exit"]) {
            probe.expectExit = integer(node["expect_exit"], QStringLiteral("expect_exit"), 0, 255);
        }
        if (node["expect_stdout"]) {
            probe.expectStdout = scalar(node["expect_stdout"], QStringLiteral("expect_stdout"));
            const QRegularExpression re(probe.expectStdout);
            if (!re.isValid()) {
                fail(node["expect_stdout"],
                    QStringLiteral("expect_stdout is not a valid regular expression: %1").arg(re.errorString()));
            }
        }
    } else if (kind == QLatin1String("http")) {
        probe.kind = ProbeKind::Http;
        checkKeys(node, common + QStringList { QStringLiteral("url"), QStringLiteral("expect_status") }, where);
        if (!node["url"]) {
            fail(node, QStringLiteral("http probe \"%1\" needs a url").arg(probe.id));
        }
        const QString url = scalar(node["url"], QStringLiteral("url"));
        probe.url = QUrl(url, QUrl::StrictMode);
        const QString scheme = probe.url.scheme();
        if (!probe.url.isValid() || (scheme != QLatin1String("http") && scheme != QLatin1String("https"))
            || probe.url.host().isEmpty()) {
            fail(node["url"], QStringLiteral("\"%1\" is not an http:// or https:// URL with a host").arg(url));
        }
        if (const YAML::Node st = node["expect_status"]) {
            if (st.IsSequence()) {
                for (const YAML::Node &item : st) {
                    probe.expectStatus << integer(item, QStringLiteral("expect_status"), 100, 599);
                }
            } else {
                probe.expectStatus << integer(st, QStringLiteral("expect_status"), 100, 599);
            }
        }
    } else {
        fail(node["kind"], QStringLiteral("unknown probe kind \"%1\"; this version knows shell and http").arg(kind));
    }
    if (node["description"]) {
        probe.description = scalar(node["description"], QStringLiteral("description"));
    }
    probe.timeout = node["timeout"] ? duration(node["timeout"], QStringLiteral("timeout")) : plan.defaultTimeout;
    probe.repeat = node["repeat"] ? integer(node["repeat"], QStringLiteral("repeat"), 1, 10000) : plan.defaultRepeat;
    return probe;
}

Plan parseTree(const YAML::Node &root)
{
    if (!root.IsMap()) {
        fail(root, QStringLiteral("a plan is a mapping with at least \"probes\""));
    }
    Plan plan;
    checkKeys(root,
        { QStringLiteral("name"), QStringLiteral("description"), QStringLiteral("defaults"), QStringLiteral("targets"),
            QStringLiteral("probes") },
        QStringLiteral("the plan"));
    if (root["name"]) {
        plan.name = scalar(root["name"], QStringLiteral("name"));
    }
    if (root["description"]) {
        plan.description = scalar(root["description"], QStringLiteral("description"));
    }
    if (const YAML::Node d = root["defaults"]) {
        if (!d.IsMap()) {
            fail(d, QStringLiteral("defaults must be a mapping (timeout, repeat, concurrency)"));
        }
        checkKeys(d, { QStringLiteral("timeout"), QStringLiteral("repeat"), QStringLiteral("concurrency") },
            QStringLiteral("defaults"));
        if (d["timeout"]) {
            plan.defaultTimeout = duration(d["timeout"], QStringLiteral("timeout"));
        }
        if (d["repeat"]) {
            plan.defaultRepeat = integer(d["repeat"], QStringLiteral("repeat"), 1, 10000);
        }
        if (d["concurrency"]) {
            plan.concurrency = integer(d["concurrency"], QStringLiteral("concurrency"), 1, 64);
        }
    }
    if (const YAML::Node t = root["targets"]) {
        if (!t.IsSequence()) {
            fail(t, QStringLiteral("targets must be a list, e.g. [runner]"));
        }
        for (const YAML::Node &item : t) {
            const QString name = scalar(item, QStringLiteral("target"));
            if (name != QLatin1String("runner")) {
                fail(item,
                    QStringLiteral("target \"%1\" is not supported yet: this version runs probes on \"runner\" "
                                   "(the machine the transport reaches) only")
                        .arg(name));
            }
            if (!plan.targets.contains(name)) {
                plan.targets << name;
            }
        }
    }
    if (plan.targets.isEmpty()) {
        plan.targets << QStringLiteral("runner");
    }
    const YAML::Node probes = root["probes"];
    if (!probes) {
        fail(root, QStringLiteral("the plan has no probes; add a \"probes:\" list"));
    }
    if (!probes.IsSequence() || probes.size() == 0) {
        fail(probes, QStringLiteral("probes must be a non-empty list"));
    }
    QSet<QString> seen;
    for (const YAML::Node &node : probes) {
        Probe p = parseProbe(node, plan);
        if (seen.contains(p.id)) {
            fail(node["id"], QStringLiteral("probe id \"%1\" is used twice; ids must be unique").arg(p.id));
        }
        seen.insert(p.id);
        plan.probes << std::move(p);
    }
    return plan;
}

} // namespace

Result<Plan> parsePlan(const QByteArray &text, const QString &fileName)
{
    const QString file = fileName.isEmpty() ? QStringLiteral("<plan>") : fileName;
    try {
        const YAML::Node root = YAML::Load(text.toStdString());
        if (!root || root.IsNull()) {
            return Error { QStringLiteral("the plan is empty; it needs at least a \"probes:\" list"), file, 1, 1 };
        }
        Plan plan = parseTree(root);
        plan.sourceFile = fileName;
        plan.sourceText = text;
        if (plan.name.isEmpty()) {
            plan.name = fileName.isEmpty() ? QStringLiteral("Untitled plan") : fileName.section(QLatin1Char('/'), -1);
        }
        return plan;
    } catch (const PlanError &e) {
        return Error { e.message, file, e.mark.line + 1, e.mark.column + 1 };
    } catch (const YAML::DeepRecursion &e) {
        // yaml-cpp stops at 500 levels but calls it "bad file"; say what it means.
        return Error{QStringLiteral("the plan nests lists or mappings more than %1 levels deep; a plan needs at most 4")
                         .arg(e.depth()),
                     file, e.mark.line + 1, e.mark.column + 1};
    } catch (const YAML::Exception &e) {
        // yaml-cpp's own message repeats the position; keep only what comes after it.
        return Error { QStringLiteral("YAML syntax error: %1").arg(qs(e.msg)), file, e.mark.line + 1,
            e.mark.column + 1 };
    }
}

Result<Plan> loadPlanFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        return Error { QStringLiteral("cannot read the plan: %1").arg(f.errorString()), path };
    }
    return parsePlan(f.readAll(), path);
}

QStringList builtinPlanNames()
{
    QStringList names;
    const auto files = QDir(QStringLiteral(":/plans")).entryList({ QStringLiteral("*.yaml") }, QDir::Files, QDir::Name);
    for (const QString &f : files) {
        names << f.chopped(5);
    }
    return names;
}

Result<Plan> loadPlan(const QString &spec)
{
    static const QLatin1String prefix("builtin:");
    if (!spec.startsWith(prefix)) {
        return loadPlanFile(spec);
    }
    const QString name = spec.mid(prefix.size());
    if (!builtinPlanNames().contains(name)) {
        return Error { QStringLiteral("there is no built-in plan \"%1\"; built-in plans: %2")
                           .arg(name, builtinPlanNames().join(QStringLiteral(", "))),
            QString() };
    }
    auto plan = loadPlanFile(QStringLiteral(":/plans/%1.yaml").arg(name));
    if (plan) {
        plan.value().sourceFile = spec;
    }
    return plan;
}

} // namespace nestscope
