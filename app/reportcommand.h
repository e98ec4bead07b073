#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace nestscope {

struct Diagnosis;
struct Plan;
struct Run;

/// `nestscope report RUN.json [--compare LATER.json] (--markdown F | --html F | --pdf F)`: the
/// root-cause report of a stored run. Needs a QGuiApplication for --pdf (fonts). Returns 0 written,
/// 2 usage, a run that cannot be read or an output that cannot be written.
int reportCommand(const QStringList &arguments);
QString reportUsage();

/// For `nestscope run --html/--pdf`: the report of the run that just finished. A PDF that cannot be
/// made (no QGuiApplication) is said on standard error and gives an empty array.
enum class RunReport { Html, Pdf };
QByteArray runReport(const Plan &plan, const Run &run, const Diagnosis *diagnosis, RunReport format);

} // namespace nestscope
