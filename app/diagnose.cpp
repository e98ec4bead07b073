// `nestscope diagnose RUN.json`: the verdict on a stored or imported run, offline, with the same
// code as `nestscope run` and the workbench (core/diagnosis), so a run file sent by a colleague
// gets the same findings here.
#include "cli.h"
#include "common/savefile.h"
#include "diagnosis/diagnosis.h"
#include "report/progress.h"
#include "report/reports.h"
#include "results/runjson.h"
#include "topology/topologyjson.h"

#include <QCommandLineParser>
#include <QFile>
#include <QJsonDocument>
#include <QTextStream>

namespace nestscope {

namespace {

QTextStream &errStream()
{
    static QTextStream stream(stderr);
    return stream;
}

int fail(const QString &message, int code)
{
    errStream() << "nestscope diagnose: " << message << "\n";
    errStream().flush();
    return code;
}

Result<QByteArray> readFile(const QString &path, const QString &what)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        return Error { QStringLiteral("cannot read %1: %2").arg(what, f.errorString()), path };
    }
    return f.readAll();
}

} // namespace

QString diagnoseUsage()
{
    return QStringLiteral(
        "Usage: nestscope diagnose RUN.json [--topology FILE] [--compare EARLIER.json] [--json FILE|-]\n"
        "         [--markdown FILE] [--quiet]\n"
        "\n"
        "Diagnoses a run written by `nestscope run --json` (or saved from the workbench) offline, with\n"
        "the topology snapshot it carries or the one given, and prints the findings on standard error.\n"
        "Exit code: 0 healthy (no finding), 1 findings (or failures no known cause explains), 2 usage,\n"
        "a file that cannot be read or an output that cannot be written.\n"
        "\n"
        "Options:\n"
        "  --topology FILE    a topology from `nestscope topology --json` instead of the run's own snapshot\n"
        "  --compare FILE     an earlier run on the same runner: cells that passed there are named\n"
        "  --json FILE|-      write the diagnosis as JSON to FILE, or to standard output with -\n"
        "  --markdown FILE    write the findings as Markdown (evidence, fix, revert)\n"
        "  --quiet            do not print the findings on standard error\n"
        "  -h, --help         show this help\n");
}

int diagnoseCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    const QCommandLineOption topologyOpt(QStringLiteral("topology"), QString(), QStringLiteral("FILE"));
    const QCommandLineOption compareOpt(QStringLiteral("compare"), QString(), QStringLiteral("FILE"));
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QString(), QStringLiteral("FILE"));
    const QCommandLineOption markdownOpt(QStringLiteral("markdown"), QString(), QStringLiteral("FILE"));
    const QCommandLineOption quietOpt(QStringLiteral("quiet"));
    const QCommandLineOption helpOpt(QStringList { QStringLiteral("h"), QStringLiteral("help") });
    parser.addOptions({ topologyOpt, compareOpt, jsonOpt, markdownOpt, quietOpt, helpOpt });
    if (!parser.parse(arguments)) {
        return fail(parser.errorText() + QStringLiteral("\n\n") + diagnoseUsage(), 2);
    }
    if (parser.isSet(helpOpt)) {
        QTextStream(stdout) << diagnoseUsage();
        return 0;
    }
    if (parser.positionalArguments().size() != 1) {
        return fail(QStringLiteral("say which run to diagnose: nestscope diagnose RUN.json\n\n") + diagnoseUsage(), 2);
    }
    const QString runPath = parser.positionalArguments().constFirst();
    const auto readRun = [](const QString &path) -> Result<Run> {
        auto data = readFile(path, QStringLiteral("the run"));
        if (!data) {
            return data.error();
        }
        return runFromJson(*data, path);
    };
    const auto run = readRun(runPath);
    if (!run) {
        return fail(run.error().toString(), 2);
    }
    std::optional<Run> earlier;
    if (parser.isSet(compareOpt)) {
        auto e = readRun(parser.value(compareOpt));
        if (!e) {
            return fail(e.error().toString(), 2);
        }
        earlier = std::move(e).value();
    }
    const QList<std::pair<QString, QString>> outputs { { QStringLiteral("--json"), parser.value(jsonOpt) },
        { QStringLiteral("--markdown"), parser.value(markdownOpt) } };
    for (const auto &[option, path] : outputs) {
        if (path.isEmpty() || path == QLatin1String("-")) {
            continue;
        }
        if (const QString why = cannotWrite(path); !why.isEmpty()) {
            return fail(QStringLiteral("%1: cannot write %2: %3").arg(option, path, why), 2);
        }
    }

    Result<Diagnosis> diagnosis = Error { QStringLiteral("not diagnosed"), QString() };
    if (parser.isSet(topologyOpt)) {
        const auto data = readFile(parser.value(topologyOpt), QStringLiteral("the topology"));
        if (!data) {
            return fail(data.error().toString(), 2);
        }
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(*data, &error);
        if (!doc.isObject()) {
            return fail(QStringLiteral("%1 is not a topology (JSON object): %2")
                            .arg(parser.value(topologyOpt), error.errorString()),
                2);
        }
        const auto topology = topologyFromJson(doc.object());
        if (!topology) {
            return fail(QStringLiteral("%1: %2").arg(parser.value(topologyOpt), topology.error().toString()), 2);
        }
        diagnosis = diagnose(*topology, *run, earlier ? &*earlier : nullptr);
    } else {
        diagnosis = diagnoseRun(*run, earlier ? &*earlier : nullptr);
        if (!diagnosis) {
            return fail(QStringLiteral("%1: %2 (give the runner's topology with --topology FILE, from `nestscope "
                                       "topology --json`)")
                            .arg(runPath, diagnosis.error().toString()),
                2);
        }
    }
    if (!parser.isSet(quietOpt)) {
        errStream() << terminalSafe(diagnosisSummaryText(*diagnosis));
        errStream().flush();
    }
    bool written = true;
    const QList<std::pair<QString, QByteArray>> data {
        { parser.value(jsonOpt),
            parser.isSet(jsonOpt) ? QJsonDocument(toJson(*diagnosis)).toJson(QJsonDocument::Indented) : QByteArray() },
        { parser.value(markdownOpt),
            parser.isSet(markdownOpt) ? diagnosisToMarkdown(*diagnosis).toUtf8() : QByteArray() },
    };
    for (const auto &[path, bytes] : data) {
        if (path.isEmpty()) {
            continue;
        }
        const QString target = path == QLatin1String("-") ? QStringLiteral("/dev/stdout") : path;
        if (const QString why = writeWholeFile(target, bytes); !why.isEmpty()) {
            errStream() << "nestscope diagnose: cannot write " << path << ": " << why << "\n";
            written = false;
        }
    }
    errStream().flush();
    if (!written) {
        return 2;
    }
    return diagnosis->isHealthy() ? 0 : 1;
}

} // namespace nestscope
