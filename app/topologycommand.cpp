// `nestscope topology`: the runner's network discovered, summarised, and written as JSON, SVG or
// PNG. Apart from the rest of the command line because the graph is drawn with the workbench's
// own scene (Qt Widgets' QGraphicsScene), so this command, and only this one, needs the widgets.

#include "cli.h"
#include "clisupport.h"
#include "common/signalwatcher.h"
#include "report/progress.h"
#include "topology/graph.h"
#include "topology/layout.h"
#include "topology/topologyinspect.h"
#include "topology/topologyjson.h"
#include "topologyscene.h"

#include <QBuffer>
#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace nestscope {

using namespace cli;

int topologyCommand(const QStringList &arguments)
{
    const auto usageError = [](const QString &message) {
        return cli::usageError(message, QStringLiteral("topology"));
    };
    QCommandLineParser parser;
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const RunnerOptions where;
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QString(), QStringLiteral("FILE"));
    const QCommandLineOption svgOpt(QStringLiteral("svg"), QString(), QStringLiteral("FILE"));
    const QCommandLineOption pngOpt(QStringLiteral("png"), QString(), QStringLiteral("FILE"));
    const QCommandLineOption quietOpt(QStringLiteral("quiet"));
    const QCommandLineOption helpOpt(QStringList { QStringLiteral("h"), QStringLiteral("help") });
    parser.addOptions(where.all());
    parser.addOptions({ jsonOpt, svgOpt, pngOpt, quietOpt, helpOpt });
    if (!parser.parse(arguments)) {
        return usageError(parser.errorText());
    }
    if (parser.isSet(helpOpt)) {
        QTextStream(stdout) << topologyUsage();
        return 0;
    }
    if (!parser.positionalArguments().isEmpty()) {
        return usageError(QStringLiteral("unexpected argument \"%1\"").arg(parser.positionalArguments().constFirst()));
    }
    if (!where.chosen(parser)) {
        return usageError(QStringLiteral("say which runner to discover: --local or --host HOST (one of them)"));
    }
    if (parser.value(svgOpt) == QLatin1String("-") || parser.value(pngOpt) == QLatin1String("-")) {
        return usageError(QStringLiteral("--svg and --png want a file name; only --json can write to standard output"));
    }

    // A signal while connecting or discovering stops it: nothing has finished, nothing is written.
    SignalWatcher interruption;
    const auto interrupted = [] {
        err() << "nestscope topology: interrupted by " << signalName(SignalWatcher::caught()) << "\n";
        err().flush();
        return 130;
    };
    // Every output is checked before discovery: a mistyped folder costs a message, not a discovery.
    if (!outputsWritable(
            { { QStringLiteral("--json"), parser.value(jsonOpt) }, { QStringLiteral("--svg"), parser.value(svgOpt) },
                { QStringLiteral("--png"), parser.value(pngOpt) } },
            QStringLiteral("topology"))) {
        return 2;
    }

    TerminalInteraction terminal; // declared first: the SSH transport keeps a pointer to it
    const std::unique_ptr<Transport> transport
        = connectRunner(parser, where, &terminal, QStringLiteral("topology"), &interruption);
    if (SignalWatcher::caught() != 0) {
        return interrupted();
    }
    if (!transport) {
        return 3;
    }
    const bool quiet = parser.isSet(quietOpt);
    if (!quiet) {
        err() << "Discovering the topology of " << transport->description() << "\n";
        err().flush();
    }
    const Result<Topology> found = discoverTopology(transport.get(), &interruption);
    if (SignalWatcher::caught() != 0) {
        return interrupted();
    }
    if (!found.ok()) {
        err() << "nestscope topology: discovery on " << transport->description()
              << " failed: " << terminalSafe(found.error().toString()) << "\n";
        err().flush();
        return 1;
    }
    const Topology &topology = found.value();
    const TopologyGraph graph = buildTopologyGraph(topology);
    if (!quiet) {
        err() << terminalSafe(topologySummary(topology, graph.problems));
        err().flush();
    } else {
        for (const TopoWarning &w : topology.warnings) {
            err() << "nestscope topology: note (" << w.source << "): " << terminalSafe(w.message) << "\n";
        }
        err().flush();
    }

    QList<std::pair<QString, QByteArray>> outputs;
    if (parser.isSet(jsonOpt)) {
        // The problems the summary prints are in the JSON too, for scripts.
        QJsonObject json = topologyToJson(topology);
        QJsonArray problems;
        for (const TopoProblem &p : graph.problems) {
            problems.append(QJsonObject { { QStringLiteral("id"), p.id },
                { QStringLiteral("severity"),
                    p.severity == TopoProblem::Severity::Error ? QStringLiteral("error") : QStringLiteral("warning") },
                { QStringLiteral("node"), p.nodeId }, { QStringLiteral("title"), p.title },
                { QStringLiteral("why"), p.why } });
        }
        json.insert(QStringLiteral("problems"), problems);
        outputs.append({ parser.value(jsonOpt), QJsonDocument(json).toJson(QJsonDocument::Indented) });
    }
    if (parser.isSet(svgOpt) || parser.isSet(pngOpt)) {
        // Drawn the way the GUI draws it: the same scene, laid out by Graphviz, rendered offscreen.
        TopologyScene scene;
        const auto layout = layoutTopology(graph, scene.nodeSizes(graph));
        if (!layout) {
            err() << "nestscope topology: cannot lay the graph out: " << layout.error().toString() << "\n";
            err().flush();
            return 2;
        }
        scene.setGraph(graph, *layout);
        if (parser.isSet(svgOpt)) {
            const QString title = QStringLiteral("Topology of %1")
                                      .arg(topology.hostname.isEmpty() ? transport->description() : topology.hostname);
            outputs.append({ parser.value(svgOpt), scene.toSvg(title) });
        }
        if (parser.isSet(pngOpt)) {
            QByteArray png;
            QBuffer buffer(&png);
            buffer.open(QIODevice::WriteOnly);
            scene.toImage(2.0).save(&buffer, "PNG");
            outputs.append({ parser.value(pngOpt), png });
        }
    }
    bool written = true; // try every output: one unwritable file must not cost the others
    for (const auto &[path, data] : std::as_const(outputs)) {
        QString error;
        if (data.isEmpty()) {
            err() << "nestscope topology: nothing to write to " << path << "\n";
            written = false;
        } else if (!writeOutput(path, data, &error)) {
            err() << "nestscope topology: " << error << "\n";
            written = false;
        }
    }
    err().flush();
    return written ? 0 : 2;
}

} // namespace nestscope
