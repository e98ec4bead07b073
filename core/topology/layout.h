#pragma once

#include "common/result.h"
#include "topology/graph.h"

#include <QFuture>
#include <QMap>
#include <QSizeF>
#include <QString>

namespace nestscope {

/// How layoutTopology() places a graph.
///
/// Graphviz's dot draws the layered picture the topology wants (uplink, interfaces, runner,
/// bridges, NICs, instances from left to right), but its crossing minimisation grows much faster
/// than the graph, and it stacks a bridge's instances in one ever taller column. Measured on the
/// project machine (release build): 150 instances on 5 bridges 52 ms, 300 instances 165-205 ms,
/// 2,000 instances on 50 bridges 13.5 s in process (11 s for `dot -Tsvg`).
/// Above `gridThreshold` nodes, dot therefore lays out only the host level (uplink, runner,
/// interfaces, bridges) plus one block per bridge, and our own code fills each block with a grid
/// of tiles, one per instance with its NICs; the NIC edges run along the grid's gutters from the
/// bridge's trunk. That is linear in the instances (about 70 ms for 2,000) and keeps the picture
/// roughly square, so the view stays usable when zoomed out.
struct TopoLayoutOptions {
    enum class Mode { Auto, Dot, Grid };
    Mode mode = Mode::Auto; ///< Auto: Dot up to gridThreshold nodes, Grid above
    int gridThreshold = 400; ///< nodes; about 200 instances with one NIC each
};

/// The size a node's box needs, in points, estimated from its text without a font (core has no
/// Gui): about 6 pt per character of the label and 5.4 pt per character of the detail lines.
/// The widgets layer passes sizes measured with its real fonts instead.
QSizeF estimatedNodeSize(const TopoNode &node);

/// Lays the graph out with Graphviz (dot, left to right) in points, y growing downwards.
/// `sizes` gives a node's box (node id -> size in points); nodes missing from it get
/// estimatedNodeSize(). Deterministic: the same graph and sizes give the same positions, and as
/// nodes and edges enter Graphviz sorted by id, a refresh that adds one instance moves little.
/// Thread-safe: Graphviz is not, so calls are serialised by one process-wide mutex; it is meant
/// to run on a worker thread (see layoutTopologyAsync()). An empty graph gives an empty layout.
Result<TopoLayout> layoutTopology(
    const TopologyGraph &graph, const QMap<QString, QSizeF> &sizes = {}, const TopoLayoutOptions &options = {});

/// layoutTopology() on the global thread pool. The future never carries an exception.
QFuture<Result<TopoLayout>> layoutTopologyAsync(
    TopologyGraph graph, QMap<QString, QSizeF> sizes = {}, TopoLayoutOptions options = {});

/// The whole graph as DOT text, with the attributes layoutTopology() gives Graphviz when it lays
/// out every node itself (Dot mode), plus the labels so that `dot -Tsvg` draws something
/// readable. Node ids are the DOT node names; each edge carries id "e<index in graph.edges>".
QString topologyToDot(const TopologyGraph &graph, const QMap<QString, QSizeF> &sizes = {});

} // namespace nestscope
