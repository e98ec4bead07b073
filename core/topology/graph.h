#pragma once

#include "topology/problems.h"
#include "topology/topology.h"

#include <QHash>
#include <QList>
#include <QMap>
#include <QPointF>
#include <QRectF>
#include <QString>

namespace nestscope {

/// The topology as nodes and edges, ready for layout and drawing. Ids are stable across
/// discoveries of the same runner so that positions survive a refresh:
///   "uplink", "runner", "if:<name>" (runner interface, docker0 included), "net:<name>" (LXD network),
///   "inst:<name>", "nic:<instance>/<device>".
struct TopoNode {
    enum class Kind { Uplink, Runner, Interface, Bridge, Instance, Nic, Docker };
    QString id;
    Kind kind = Kind::Interface;
    QString label; ///< first line drawn (name)
    QStringList details; ///< further lines drawn under the label (subnets, addresses, MTU)
    QString parentId; ///< a NIC's instance, an interface's runner ("" for none)
};

struct TopoEdge {
    enum class Kind { Attachment, Route, Nat };
    QString from;
    QString to;
    Kind kind = Kind::Attachment;
    QString label; ///< e.g. "10.77.10.0/24 NAT on" / "fd42::/64 NAT off"
    /// For Route/Nat edges: the address family this edge is about (results colour it per family).
    enum class Family { Both, IPv4, IPv6 };
    Family family = Family::Both;
};

struct TopologyGraph {
    QList<TopoNode> nodes;
    QList<TopoEdge> edges;
    QList<TopoProblem> problems;
    /// id -> position in `nodes`, filled by buildTopologyGraph() and reindex(). node() checks what
    /// it finds, so a stale index after editing `nodes` by hand only costs a scan.
    QHash<QString, qsizetype> nodeIndex;
    const TopoNode *node(const QString &id) const;
    void reindex();
};

/// Builds the graph (nodes, edges, problems) from a discovered topology.
TopologyGraph buildTopologyGraph(const Topology &topology);

/// Where the layout put things, in points (1/72 inch), y growing downwards (Qt's convention).
/// See topology/layout.h for how it is computed.
struct TopoLayout {
    QMap<QString, QRectF> nodes; ///< node id -> rectangle
    /// Per graph edge (same order): cubic Bézier control points as Graphviz gives them, from the
    /// edge's `from` end to its `to` end: a start point, then (control, control, end) triples,
    /// 3n+1 points in all. Straight pieces have their control points on the segment.
    QList<QList<QPointF>> edges;
    QList<QPointF> edgeLabels; ///< per graph edge, the label's centre (null point when none)
    QRectF bounds;
    /// Large graphs only: node id of a bridge (or other attachment point) -> the frame its
    /// instances were laid out in as a grid. Empty when Graphviz placed every node.
    QMap<QString, QRectF> groups;
    QString method; ///< "dot" or "dot+grid": how it was laid out (for logs and the benchmark)
};

} // namespace nestscope
