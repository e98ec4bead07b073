#include "appsettings.h"

#include "plan/plan.h"

#include <QSettings>

#include <algorithm>

namespace nestscope {

namespace {

const QString kGroup = QStringLiteral("settings");

/// An integer in [lo, hi], or nullopt (with a warning) for anything else that is present.
std::optional<qint64> readInt(QSettings &settings, const QString &key, qint64 lo, qint64 hi)
{
    if (!settings.contains(key)) {
        return std::nullopt;
    }
    bool ok = false;
    const qint64 value = settings.value(key).toLongLong(&ok);
    if (!ok || value < lo || value > hi) {
        qWarning("settings: %s=%s is not a number from %lld to %lld; using the default", qPrintable(key),
            qPrintable(settings.value(key).toString()), static_cast<long long>(lo), static_cast<long long>(hi));
        return std::nullopt;
    }
    return value;
}

template <typename Enum>
std::optional<Enum> readChoice(QSettings &settings, const QString &key, const QStringList &names)
{
    if (!settings.contains(key)) {
        return std::nullopt;
    }
    const QString text = settings.value(key).toString();
    const auto at = names.indexOf(text);
    if (at < 0) {
        qWarning("settings: %s=%s is not one of %s; using the default", qPrintable(key), qPrintable(text),
            qPrintable(names.join(QStringLiteral(", "))));
        return std::nullopt;
    }
    return static_cast<Enum>(at);
}

// Stored by name, not number, so the file reads as what it means; the order is the enums'.
const QStringList kClientNames { QStringLiteral("auto"), QStringLiteral("lxc"), QStringLiteral("incus") };
const QStringList kThemeNames { QStringLiteral("system"), QStringLiteral("light"), QStringLiteral("dark") };

} // namespace

AppSettings AppSettings::load(QSettings &settings)
{
    AppSettings s;
    settings.beginGroup(kGroup);
    const auto version = settings.value(QStringLiteral("version")).toInt();
    if (settings.contains(QStringLiteral("version")) && version != kVersion) {
        qWarning("settings: version %d is not %d; using the defaults", version, kVersion);
    }
    if (version == kVersion) {
        const QString plan = settings.value(QStringLiteral("defaultPlan")).toString().trimmed();
        if (!plan.isEmpty()) {
            s.defaultPlan = plan;
        }
        if (const auto v = readInt(settings, QStringLiteral("concurrency"), 0, kMaxConcurrency)) {
            s.concurrency = int(*v);
        }
        if (const auto v = readInt(settings, QStringLiteral("defaultTimeoutSeconds"), 0, kMaxTimeoutSeconds)) {
            s.defaultTimeout = std::chrono::seconds(*v);
        }
        if (const auto v = readInt(settings, QStringLiteral("outputCapBytes"), kMinOutputCap, kMaxOutputCap)) {
            s.outputCapBytes = qsizetype(*v);
        }
        if (const auto v = readChoice<InstanceTransport::Client>(settings, QStringLiteral("client"), kClientNames)) {
            s.client = *v;
        }
        if (const auto v = readChoice<Theme>(settings, QStringLiteral("theme"), kThemeNames)) {
            s.theme = *v;
        }
    }
    settings.endGroup();
    return s;
}

void AppSettings::save(QSettings &settings) const
{
    settings.beginGroup(kGroup);
    settings.setValue(QStringLiteral("version"), kVersion);
    settings.setValue(QStringLiteral("defaultPlan"), defaultPlan);
    settings.setValue(QStringLiteral("concurrency"), concurrency);
    settings.setValue(QStringLiteral("defaultTimeoutSeconds"), qint64(defaultTimeout.count()));
    settings.setValue(QStringLiteral("outputCapBytes"), qint64(outputCapBytes));
    settings.setValue(QStringLiteral("client"), kClientNames.at(int(client)));
    settings.setValue(QStringLiteral("theme"), kThemeNames.at(int(theme)));
    settings.endGroup();
}

void AppSettings::applyTo(Plan &plan) const
{
    if (concurrency > 0) {
        plan.concurrency = concurrency;
    }
    if (defaultTimeout.count() > 0) {
        plan.defaultTimeout = defaultTimeout;
        for (Probe &probe : plan.probes) {
            if (!probe.timeoutSet) {
                probe.timeout = defaultTimeoutFor(probe, plan.defaultTimeout);
            }
        }
    }
}

} // namespace nestscope
