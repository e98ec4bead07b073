#pragma once

#include "common/result.h"

#include <QHash>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <chrono>
#include <optional>

namespace nestscope {

enum class ProbeKind { Shell, Http, Fact, Dns, Tcp, Icmp, Mtu, Package, Docker };

QString toText(ProbeKind kind);

/// Which address family a network probe must use; Any lets the tool choose.
enum class Family { Any, IPv4, IPv6 };

QString toText(Family family);

/// Facts a `fact` probe checks on a target.
enum class FactKind { Ipv4Address, Ipv6Address, Ipv4DefaultRoute, Ipv6DefaultRoute, Ipv6Enabled, Resolver };

QString toText(FactKind fact);

/// A probe runs only when its guard holds; otherwise its sample is `skipped` with the reason.
struct Guard {
    QString tool; ///< a program that must exist on the target
    QString probePassed; ///< an earlier probe that must have passed on the same target and repetition
    bool isEmpty() const { return tool.isEmpty() && probePassed.isEmpty(); }
};

/// One check, as the plan author wrote it. Probes are data: a kind and its parameters,
/// compiled to a command for the target only when they run (see probes.h).
struct Probe {
    QString id;
    QString description;
    ProbeKind kind = ProbeKind::Shell;
    std::chrono::milliseconds timeout { 0 };
    bool timeoutSet = false; ///< the plan gave this probe its own timeout (else the default applies)
    int repeat = 1;
    Guard when;
    Family family = Family::Any;

    // shell
    QString command;
    int expectExit = 0;
    QString expectStdout; ///< a regular expression the output must match, when set

    // http
    QUrl url;
    QList<int> expectStatus; ///< empty: any 2xx or 3xx
    /// A bulk transfer: the body must be at least this many bytes (0: any). The sample keeps the
    /// bytes received and the throughput, so a transfer that stalls (a path-MTU black hole) shows.
    qint64 minBytes = 0;

    // fact
    FactKind fact = FactKind::Ipv4Address;

    // dns (name), tcp / icmp / mtu (host)
    QString host;
    int port = 0;
    int count = 3; ///< icmp: echo requests
    int maxLossPercent = 0; ///< icmp: more loss than this fails
    int mtu = 1500; ///< mtu: the path must carry packets of this size

    // docker
    QString image; ///< empty: only check that the daemon answers

    int line = 0; ///< where it is defined in the plan file, for messages
};

/// What the plan author expects of a probe on some targets (globs allowed); the default is pass.
struct Expectation {
    QString probe; ///< id or glob
    QString target; ///< name or glob
    bool pass = true;
};

/// Probes x targets x repetitions, with timeouts.
struct Plan {
    QString name;
    QString description;
    QString sourceFile;
    QByteArray sourceText;
    /// As written: `runner`, instance names, globs (`vm*`) and `all` (every running instance).
    /// Resolve them against the runner's instances with resolveTargets() before running.
    QStringList targets;
    QList<Probe> probes;
    QList<Expectation> expectations;
    QMap<QString, QString> variables; ///< after --var overrides
    std::chrono::milliseconds defaultTimeout { 30000 };
    int defaultRepeat = 1;
    int concurrency = 4;
    int targetConcurrency = 4; ///< at most this many commands at once on one target

    const Probe *probe(const QString &id) const;
    int sampleCount() const;
    /// Whether the author expects this probe to pass on this target (default: yes).
    bool expectsPass(const QString &probeId, const QString &target) const;
};

/// Plans larger than this are refused before they are parsed: a plan is a few kilobytes, and
/// yaml-cpp needs about 16 bytes of memory per byte of text (a 50 MB plan took 832 MB).
inline constexpr qsizetype kMaxPlanBytes = 4 * 1024 * 1024;

/// Reads a plan (YAML; JSON is YAML too). Errors carry file, line and column (1-based).
/// `overrides` replace the values of declared variables (`--var K=V`); unknown names are errors.
Result<Plan> parsePlan(
    const QByteArray &text, const QString &fileName = {}, const QMap<QString, QString> &overrides = {});
Result<Plan> loadPlanFile(const QString &path, const QMap<QString, QString> &overrides = {});

/// The names of the plans built into Nestscope (use them as "builtin:NAME").
QStringList builtinPlanNames();

/// The keys a plan may have at its top level ("name", "probes", ...).
QStringList planTopLevelKeys();
/// Loads "builtin:NAME" from the built-in plans, or else a file path.
Result<Plan> loadPlan(const QString &spec, const QMap<QString, QString> &overrides = {});

/// Turns the plan's target specs into concrete names: `runner` stays, a name must be one of
/// `instances`, a glob or `all` picks from `runningInstances`. Order follows the plan; no duplicates.
Result<QStringList> resolveTargets(
    const QStringList &specs, const QStringList &instances, const QStringList &runningInstances);

/// The timeout a probe without its own gets from the plan's default: package managers and image
/// pulls get at least two minutes (they fetch from several mirrors).
std::chrono::milliseconds defaultTimeoutFor(const Probe &probe, std::chrono::milliseconds planDefault);

/// "10s", "500ms", "2m", "1.5s" or a bare number of seconds.
std::optional<std::chrono::milliseconds> parseDuration(const QString &text);

/// The address family a probe is about: its `family`, or for facts the family the fact names
/// (ipv4-address -> IPv4); Any for the rest (DNS, resolver, package manager, ...).
Family probeFamily(const Probe &probe);
/// probeFamily() of every probe, by id; for splitting a matrix per family.
QHash<QString, Family> probeFamilies(const Plan &plan);

/// LXD/Incus instance names: letters, digits and '-', starting with a letter, at most 63.
bool isValidInstanceName(const QString &name);
/// A DNS name or an IPv4/IPv6 literal; nothing a shell could read as more than one word.
bool isValidHost(const QString &host);

} // namespace nestscope
