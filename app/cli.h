#pragma once

#include <QMap>
#include <QStringList>

namespace nestscope {

/// What `nestscope [--plan SPEC] [--var K=V]...` asks the workbench to open.
struct WorkbenchOptions {
    QString plan; ///< empty: the default plan of File > Settings (builtin:local-basics unless changed)
    QMap<QString, QString> vars;
    bool platformChosen = false; ///< Qt's -platform NAME was given (offscreen, vnc, ...)
};

/// Parses the workbench's own arguments (without the program name's meaning: arguments[0] is the
/// program). Returns -1 when the workbench should open with *options, otherwise the exit code
/// to leave with: 0 after --help or --version, 2 after a usage error (printed on stderr).
int parseWorkbenchArguments(const QStringList &arguments, WorkbenchOptions *options);

/// `nestscope run ...`: runs a plan headless and writes the samples as JSON.
/// Returns the process exit code: 0 all passed, 1 some did not, 2 usage, plan or output error, 3 cannot
/// connect, 130 interrupted by SIGINT, SIGTERM or SIGHUP (in any phase; what finished is written).
int runCommand(const QStringList &arguments);

/// The usage text for the command-line mode, shown by --help and when there is no display.
QString cliUsage();

/// `nestscope topology ...`: discovers a runner's network, prints a summary and writes JSON, SVG, PNG.
/// Needs a QGuiApplication (drawing); returns 0 discovered, 1 nothing discovered, 2 usage or output
/// error, 3 cannot connect, 130 interrupted.
int topologyCommand(const QStringList &arguments);

/// The usage text of `nestscope topology`.
QString topologyUsage();

/// `nestscope diagnose RUN.json ...`: the findings of a stored or imported run, offline. Returns
/// 0 healthy, 1 findings (or unexplained failures), 2 usage, unreadable input or output error.
int diagnoseCommand(const QStringList &arguments);
QString diagnoseUsage();

/// `nestscope experiment ...`: tries a finding's fix on the runner with consent, reruns, compares;
/// reverts or keeps it later. Returns 0 done, 1 a command failed, 2 usage or nothing to try,
/// 3 cannot connect, 130 interrupted.
int experimentCommand(const QStringList &arguments);
QString experimentUsage();

} // namespace nestscope
