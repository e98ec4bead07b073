#pragma once

#include <QStringList>

namespace nestscope {

/// `nestscope run ...`: runs a plan headless and writes the samples as JSON.
/// Returns the process exit code: 0 all passed, 1 some did not, 2 usage or plan error, 130 interrupted.
int runCommand(const QStringList &arguments);

/// The usage text for the command-line mode, shown by --help and when there is no display.
QString cliUsage();

/// `nestscope topology ...`: discovers a runner's network, prints a summary and writes JSON, SVG, PNG.
/// Needs a QGuiApplication (drawing); returns 0 discovered, 1 nothing discovered, 2 usage or output
/// error, 3 cannot connect.
int topologyCommand(const QStringList &arguments);

/// The usage text of `nestscope topology`.
QString topologyUsage();

} // namespace nestscope
