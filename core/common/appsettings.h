#pragma once

#include "transport/instancetransport.h"

#include <QString>

#include <chrono>

class QSettings;

namespace nestscope {

struct Plan;

/// What File > Settings… holds, as a value. Stored under the QSettings group "settings" with a
/// "version" key; a group of another version is ignored whole (the defaults apply), and a value
/// out of range is refused with a warning (its default applies), so a hand-edited or future file
/// never gives a run a setting nobody chose.
struct AppSettings {
    enum class Theme { System, Light, Dark };

    static constexpr int kVersion = 1;
    static constexpr int kMaxConcurrency = 64;
    static constexpr int kMaxTimeoutSeconds = 24 * 3600;
    static constexpr qsizetype kMinOutputCap = 1024;
    static constexpr qsizetype kMaxOutputCap = qsizetype(256) * 1024 * 1024;

    QString defaultPlan = QStringLiteral("builtin:local-basics");
    int concurrency = 0; ///< 0: the plan's own `defaults.concurrency`
    std::chrono::seconds defaultTimeout { 0 }; ///< 0: the plan's own; else for probes without their own
    InstanceTransport::Client client = InstanceTransport::Client::Auto;
    qsizetype outputCapBytes = qsizetype(1024) * 1024; ///< per stream; CommandRequest::outputCap's default
    Theme theme = Theme::System;

    /// Reads the "settings" group; what is missing, refused or of another version keeps its default.
    static AppSettings load(QSettings &settings);
    void save(QSettings &settings) const;

    /// The run settings applied to a loaded plan: concurrency and, for every probe that did not
    /// set its own timeout, the default timeout (with the same floors the plan parser applies).
    void applyTo(Plan &plan) const;

    bool operator==(const AppSettings &) const = default;
};

} // namespace nestscope
