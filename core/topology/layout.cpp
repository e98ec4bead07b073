#include "layout.h"

#include <QHash>
#include <QMutex>
#include <QMutexLocker>
#include <QScopeGuard>
#include <QSet>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <cmath>
#include <exception>
#include <gvc.h>

namespace nestscope {

namespace {

// Points per inch: Graphviz takes node sizes in inches and returns coordinates in points.
constexpr double kPointsPerInch = 72.0;

// The grid of large graphs (points). A tile is one instance with its NICs stacked on its left.
constexpr double kGridMargin = 14.0; ///< inside a block, around the tiles; the bus runs in it
constexpr double kGridColumnGap = 28.0; ///< between tile columns; a NIC's wire comes down here
constexpr double kGridRowGap = 18.0; ///< between tile rows; the bus runs along it
constexpr double kTileInnerGap = 36.0; ///< between a tile's NICs and its instance
constexpr double kTileNicGap = 6.0; ///< between the NICs of one instance

/// The rank (column, left to right) a kind of node sits in: the path a packet takes out of an
/// instance read backwards, so the picture reads uplink -> runner -> bridges -> instances.
int rankOf(TopoNode::Kind kind)
{
    switch (kind) {
    case TopoNode::Kind::Uplink:
        return 0;
    case TopoNode::Kind::Interface:
        return 1;
    case TopoNode::Kind::Runner:
        return 2;
    case TopoNode::Kind::Bridge:
    case TopoNode::Kind::Docker:
        return 3;
    case TopoNode::Kind::Nic:
        return 4;
    case TopoNode::Kind::Instance:
        return 5;
    }
    return 0;
}

bool isGridKind(TopoNode::Kind kind)
{
    return kind == TopoNode::Kind::Nic || kind == TopoNode::Kind::Instance;
}

// ---- the graph handed to Graphviz -----------------------------------------------------------

struct DotNode {
    QString name;
    QSizeF size;
    QString label; ///< drawn by `dot -Tsvg` only; our own layout leaves node text out
    int rank = 0;
};

struct DotEdge {
    QString tail; ///< the end with the lower rank: dot ranks tails before heads
    QString head;
    QString label;
    QString tag; ///< "e<index>" for graph edges, "b<index>" for grid blocks, empty for invisible ones
    int minlen = 1;
    bool invisible = false;
};

struct DotGraph {
    QList<DotNode> nodes;
    QList<DotEdge> edges;
};

/// A DOT string literal for text: quotes and backslashes escaped, line breaks as Graphviz's
/// centred "\n". (In labels Graphviz reads a doubled backslash as one.)
QString quoted(const QString &text)
{
    QString out;
    out.reserve(text.size() + 2);
    out += QLatin1Char('"');
    for (const QChar c : text) {
        if (c == QLatin1Char('"') || c == QLatin1Char('\\')) {
            out += QLatin1Char('\\');
            out += c;
        } else if (c == QLatin1Char('\n')) {
            out += QStringLiteral("\\n");
        } else if (c != QLatin1Char('\r')) {
            out += c;
        }
    }
    out += QLatin1Char('"');
    return out;
}

/// A DOT string literal for a name: DOT keeps backslashes in names as they are and only reads
/// \" as a quote, so only quotes are escaped (a name ending in a backslash cannot be written;
/// LXD's names have none, and our own layout names nodes by number anyway).
QString quotedName(const QString &name)
{
    return QLatin1Char('"') + QString(name).replace(QLatin1Char('"'), QStringLiteral("\\\"")) + QLatin1Char('"');
}

/// What our own layout calls node `index` in DOT: short, and safe whatever the graph's ids are.
QString dotName(qsizetype index)
{
    return QStringLiteral("n") + QString::number(index);
}

QString inches(double points)
{
    return QString::number(points / kPointsPerInch, 'f', 4);
}

/// `withText`: for `dot -Tsvg` (names are the graph's ids, nodes have labels). Without: for our
/// own layout (nodes named by their index in g.nodes, no node text: the boxes have fixed sizes
/// the caller measured, so the text only costs Graphviz time measuring it). Both lay out the same.
QString writeDot(const DotGraph &g, bool withText)
{
    QHash<QString, QString> names;
    names.reserve(g.nodes.size());
    for (qsizetype i = 0; i < g.nodes.size(); ++i) {
        names.insert(g.nodes.at(i).name, withText ? quotedName(g.nodes.at(i).name) : dotName(i));
    }
    QString out;
    out.reserve(128 + g.nodes.size() * 64 + g.edges.size() * 64);
    out += QStringLiteral("digraph topology {\n"
                          "  graph [rankdir=LR, nodesep=0.25, ranksep=0.55];\n");
    out += withText ? QStringLiteral("  node [shape=box, fixedsize=true, fontsize=9, fontname=\"DejaVu Sans\"];\n")
                    : QStringLiteral("  node [shape=box, fixedsize=true, label=\"\"];\n");
    // Edges carry no arrowheads, so splines end exactly on the node's border.
    out += QStringLiteral("  edge [dir=none, fontsize=8, fontname=\"DejaVu Sans\"];\n");
    for (const DotNode &n : g.nodes) {
        out += QStringLiteral("  ") + names.value(n.name) + QStringLiteral(" [width=") + inches(n.size.width())
            + QStringLiteral(", height=") + inches(n.size.height());
        if (withText) {
            out += QStringLiteral(", label=") + quoted(n.label);
        }
        out += QStringLiteral("];\n");
    }
    for (const DotEdge &e : g.edges) {
        out += QStringLiteral("  ") + names.value(e.tail) + QStringLiteral(" -> ") + names.value(e.head)
            + QStringLiteral(" [");
        QStringList attrs;
        if (!e.tag.isEmpty()) {
            attrs << QStringLiteral("id=") + quoted(e.tag);
        }
        if (e.minlen != 1) {
            attrs << QStringLiteral("minlen=") + QString::number(e.minlen);
        }
        if (e.invisible) {
            attrs << QStringLiteral("style=invis");
        }
        if (!e.label.isEmpty()) {
            attrs << QStringLiteral("label=") + quoted(e.label);
        }
        out += attrs.join(QStringLiteral(", ")) + QStringLiteral("];\n");
    }
    out += QStringLiteral("}\n");
    return out;
}

/// Node sizes from the caller, else estimated.
QSizeF sizeOf(const TopoNode &node, const QMap<QString, QSizeF> &sizes)
{
    const auto it = sizes.constFind(node.id);
    if (it != sizes.cend() && it->width() > 0 && it->height() > 0) {
        return *it;
    }
    return estimatedNodeSize(node);
}

/// Adds `edges` (pairs of DOT id and edge) between nodes of `ranks` to `dg`,
/// oriented so that dot ranks them as rankOf() says, then ties every node nothing ranks to an
/// anchor with an invisible edge so that, e.g., an instance without NICs still sits in the
/// instances' column rather than next to the uplink.
void addRankedEdges(DotGraph &dg, const QHash<QString, int> &ranks, const QList<std::pair<QString, TopoEdge>> &edges)
{
    QSet<QString> ranked;
    for (const auto &[tag, e] : edges) {
        const auto from = ranks.constFind(e.from);
        const auto to = ranks.constFind(e.to);
        if (from == ranks.cend() || to == ranks.cend()) {
            continue;
        }
        DotEdge de;
        const bool forward = *from <= *to;
        de.tail = forward ? e.from : e.to;
        de.head = forward ? e.to : e.from;
        de.minlen = std::max(1, std::abs(*to - *from));
        de.label = e.label;
        de.tag = tag;
        ranked.insert(de.head);
        dg.edges << de;
    }
    if (dg.nodes.isEmpty()) {
        return;
    }
    const auto anchor = std::min_element(dg.nodes.cbegin(), dg.nodes.cend(), [](const DotNode &a, const DotNode &b) {
        return a.rank < b.rank || (a.rank == b.rank && a.name < b.name);
    });
    for (const DotNode &n : std::as_const(dg.nodes)) {
        if (n.rank > anchor->rank && !ranked.contains(n.name)) {
            DotEdge de;
            de.tail = anchor->name;
            de.head = n.name;
            de.minlen = n.rank - anchor->rank;
            de.invisible = true;
            dg.edges << de;
        }
    }
}

/// Deterministic order: nodes by id, edges by (tail, head, tag). Graphviz's result depends on
/// the order things are declared in, and discovery's order is whatever the API returned.
void sortDotGraph(DotGraph &dg)
{
    std::sort(dg.nodes.begin(), dg.nodes.end(), [](const DotNode &a, const DotNode &b) {
        return a.name < b.name;
    });
    std::sort(dg.edges.begin(), dg.edges.end(), [](const DotEdge &a, const DotEdge &b) {
        return std::tie(a.tail, a.head, a.tag) < std::tie(b.tail, b.head, b.tag);
    });
}

/// The whole graph for dot: every node, every edge.
DotGraph fullDotGraph(const TopologyGraph &graph, const QMap<QString, QSizeF> &sizes)
{
    DotGraph dg;
    QHash<QString, int> ranks;
    for (const TopoNode &n : graph.nodes) {
        if (ranks.contains(n.id)) {
            continue; // a duplicate id would make a second box of the same name in DOT anyway
        }
        ranks.insert(n.id, rankOf(n.kind));
        dg.nodes << DotNode { n.id, sizeOf(n, sizes), n.label, rankOf(n.kind) };
    }
    QList<std::pair<QString, TopoEdge>> edges;
    for (qsizetype i = 0; i < graph.edges.size(); ++i) {
        edges.append({ QStringLiteral("e") + QString::number(i), graph.edges.at(i) });
    }
    addRankedEdges(dg, ranks, edges);
    sortDotGraph(dg);
    return dg;
}

// ---- running Graphviz ----------------------------------------------------------------------

struct DotResult {
    QHash<QString, QPointF> centres; ///< node name -> centre, Qt coordinates
    QHash<QString, QList<QPointF>> splines; ///< edge tag -> Bézier points from tail to head
    QHash<QString, QPointF> labels; ///< edge tag -> label centre
    QRectF bounds;
};

/// Graphviz keeps global state (the DOT lexer, error handler, plugin lists) and is not
/// thread-safe: every use goes through this lock.
QMutex &graphvizMutex()
{
    static QMutex mutex;
    return mutex;
}

/// One Graphviz context for the process, used under graphvizMutex() only. A context per call
/// would be tidier, but Graphviz 2.42's gvContext() loses the buffer it reads its plugin
/// configuration into (3.6 KB per call, valgrind shows it), and loading the plugins each time
/// costs more than a small layout. Freed at exit.
GVC_t *sharedContext()
{
    struct Holder {
        GVC_t *gvc = gvContext();
        ~Holder() { gvFreeContext(gvc); }
    };
    static Holder holder; // first use is under graphvizMutex(), so its construction is too
    return holder.gvc;
}

QString *g_graphvizErrors = nullptr; // guarded by graphvizMutex()

int collectGraphvizError(char *message)
{
    if (g_graphvizErrors && message) {
        *g_graphvizErrors += QString::fromUtf8(message).trimmed() + QLatin1Char(' ');
    }
    return 0;
}

Result<DotResult> runDot(const QString &dotText)
{
    const QByteArray text = dotText.toUtf8();
    QMutexLocker lock(&graphvizMutex());
    QString errors;
    g_graphvizErrors = &errors;
    const agusererrf previousHandler = agseterrf(collectGraphvizError);
    const auto restoreHandler = qScopeGuard([previousHandler] {
        agseterrf(previousHandler);
        g_graphvizErrors = nullptr;
    });

    Agraph_t *g = agmemread(text.constData());
    if (!g) {
        return Error { QStringLiteral("Graphviz could not read the graph: %1").arg(errors.trimmed()), QString() };
    }
    GVC_t *gvc = sharedContext();
    const auto cleanup = qScopeGuard([gvc, g] {
        gvFreeLayout(gvc, g);
        agclose(g);
    });
    if (gvLayout(gvc, g, "dot") != 0) {
        return Error { QStringLiteral("Graphviz's dot layout failed: %1").arg(errors.trimmed()), QString() };
    }

    DotResult out;
    const boxf bb = GD_bb(g);
    const auto toQt = [&bb](pointf p) {
        return QPointF(p.x - bb.LL.x, bb.UR.y - p.y);
    };
    out.bounds = QRectF(0, 0, bb.UR.x - bb.LL.x, bb.UR.y - bb.LL.y);
    char idAttr[] = "id";
    for (Agnode_t *n = agfstnode(g); n; n = agnxtnode(g, n)) {
        out.centres.insert(QString::fromUtf8(agnameof(n)), toQt(ND_coord(n)));
        for (Agedge_t *e = agfstout(g, n); e; e = agnxtout(g, e)) {
            const char *tagText = agget(e, idAttr);
            if (!tagText || !*tagText) {
                continue;
            }
            const QString tag = QString::fromUtf8(tagText);
            QList<QPointF> points;
            if (const splines *spl = ED_spl(e)) {
                for (int i = 0; i < spl->size; ++i) {
                    const bezier &bz = spl->list[i];
                    for (int j = 0; j < bz.size; ++j) {
                        const QPointF p = toQt(bz.list[j]);
                        if (j == 0 && !points.isEmpty() && points.last() == p) {
                            continue;
                        }
                        points << p;
                    }
                }
            }
            out.splines.insert(tag, points);
            if (const textlabel_t *label = ED_label(e); label && label->set) {
                out.labels.insert(tag, toQt(label->pos));
            }
        }
    }
    return out;
}

// ---- geometry helpers ----------------------------------------------------------------------

/// A polyline as cubic Bézier points (3n+1), each segment straight.
QList<QPointF> polylineToBezier(const QList<QPointF> &polyline)
{
    QList<QPointF> points;
    for (const QPointF &p : polyline) {
        if (points.isEmpty()) {
            points << p;
            continue;
        }
        const QPointF from = points.last();
        if (from == p) {
            continue;
        }
        points << from + (p - from) / 3.0 << from + (p - from) * 2.0 / 3.0 << p;
    }
    if (points.size() == 1) {
        points << points.first() << points.first() << points.first();
    }
    return points;
}

QList<QPointF> reversed(QList<QPointF> points)
{
    std::reverse(points.begin(), points.end());
    return points;
}

/// A straight edge between two boxes, from the side of `from` facing `to` to the side of `to`
/// facing `from` (left/right, as the layout runs left to right).
QList<QPointF> straightBetween(const QRectF &from, const QRectF &to)
{
    const bool toIsRight = to.center().x() >= from.center().x();
    const QPointF a(toIsRight ? from.right() : from.left(), from.center().y());
    const QPointF b(toIsRight ? to.left() : to.right(), to.center().y());
    return polylineToBezier({ a, b });
}

QPointF bezierMidpoint(const QList<QPointF> &points)
{
    if (points.isEmpty()) {
        return {};
    }
    // The middle segment's end point: on the curve, close enough to the middle for a label.
    const qsizetype segments = (points.size() - 1) / 3;
    if (segments <= 0) {
        return points.first();
    }
    const qsizetype mid = segments / 2;
    const QPointF p0 = points.at(mid * 3), p1 = points.at(mid * 3 + 1), p2 = points.at(mid * 3 + 2),
                  p3 = points.at(mid * 3 + 3);
    return (p0 + 3 * p1 + 3 * p2 + p3) / 8.0; // the segment's point at t = 0.5
}

// ---- Dot mode ------------------------------------------------------------------------------

Result<TopoLayout> layoutWithDot(const TopologyGraph &graph, const QMap<QString, QSizeF> &sizes)
{
    const DotGraph dg = fullDotGraph(graph, sizes);
    const auto dot = runDot(writeDot(dg, false));
    if (!dot) {
        return dot.error();
    }
    TopoLayout layout;
    layout.method = QStringLiteral("dot");
    for (qsizetype i = 0; i < dg.nodes.size(); ++i) {
        const DotNode &n = dg.nodes.at(i);
        const QPointF c = dot->centres.value(dotName(i));
        layout.nodes.insert(
            n.name, QRectF(c.x() - n.size.width() / 2, c.y() - n.size.height() / 2, n.size.width(), n.size.height()));
    }
    QHash<QString, const DotEdge *> byTag;
    for (const DotEdge &e : dg.edges) {
        if (!e.tag.isEmpty()) {
            byTag.insert(e.tag, &e);
        }
    }
    for (qsizetype i = 0; i < graph.edges.size(); ++i) {
        const TopoEdge &e = graph.edges.at(i);
        const QString tag = QStringLiteral("e") + QString::number(i);
        QList<QPointF> points = dot->splines.value(tag);
        const DotEdge *de = byTag.value(tag);
        if (points.size() < 2) {
            // No spline (an edge to a node that is not in the graph, or Graphviz gave up on it).
            points = layout.nodes.contains(e.from) && layout.nodes.contains(e.to)
                ? straightBetween(layout.nodes.value(e.from), layout.nodes.value(e.to))
                : QList<QPointF>();
        } else if (de && de->tail != e.from) {
            points = reversed(points); // dot ran it from the lower rank; we promise from -> to
        }
        layout.edges << points;
        layout.edgeLabels << (e.label.isEmpty() ? QPointF() : dot->labels.value(tag, bezierMidpoint(points)));
    }
    layout.bounds = dot->bounds;
    return layout;
}

// ---- Grid mode -----------------------------------------------------------------------------

/// One instance (or a NIC whose instance is not in the graph) and the NICs drawn with it.
struct Tile {
    QString instance; ///< empty for an orphan NIC
    QStringList nics;
    QString home; ///< the host-level node its first attached NIC hangs off
};

struct Block {
    QString home;
    QString name; ///< the DOT node standing for the block
    QList<Tile> tiles;
    int columns = 1;
    double nicColumnWidth = 0;
    double instanceWidth = 0;
    QSizeF tileSize;
    QSizeF size;
};

Result<TopoLayout> layoutWithGrid(const TopologyGraph &graph, const QMap<QString, QSizeF> &sizes)
{
    QHash<QString, const TopoNode *> nodeById;
    QHash<QString, QSizeF> sizeById;
    for (const TopoNode &n : graph.nodes) {
        if (!nodeById.contains(n.id)) {
            nodeById.insert(n.id, &n);
            sizeById.insert(n.id, sizeOf(n, sizes));
        }
    }
    const auto isGridNode = [&](const QString &id) {
        const TopoNode *n = nodeById.value(id);
        return n && isGridKind(n->kind);
    };

    // Host level: everything but NICs and instances goes to dot as it is.
    DotGraph dg;
    QHash<QString, int> ranks;
    for (auto it = nodeById.cbegin(); it != nodeById.cend(); ++it) {
        if (!isGridKind(it.value()->kind)) {
            ranks.insert(it.key(), rankOf(it.value()->kind));
            dg.nodes << DotNode { it.key(), sizeById.value(it.key()), it.value()->label, rankOf(it.value()->kind) };
        }
    }
    // Where tiles with no attachment hang: the runner, else the lowest-ranked node.
    QString anchor;
    if (ranks.contains(QStringLiteral("runner"))) {
        anchor = QStringLiteral("runner");
    } else if (!dg.nodes.isEmpty()) {
        anchor = std::min_element(dg.nodes.cbegin(), dg.nodes.cend(), [](const DotNode &a, const DotNode &b) {
            return a.rank < b.rank || (a.rank == b.rank && a.name < b.name);
        })->name;
    }

    // Tiles: each instance with its NICs (by parentId); NICs without an instance stand alone.
    QMap<QString, Tile> tilesByInstance;
    QList<Tile> orphanTiles;
    QMap<QString, QString> attachmentOf; // NIC id -> host-level node its first attachment edge reaches
    for (const TopoEdge &e : graph.edges) {
        const bool fromNic = nodeById.value(e.from) && nodeById.value(e.from)->kind == TopoNode::Kind::Nic;
        if (fromNic && ranks.contains(e.to) && !attachmentOf.contains(e.from)) {
            attachmentOf.insert(e.from, e.to);
        }
    }
    QStringList nicIds;
    for (auto it = nodeById.cbegin(); it != nodeById.cend(); ++it) {
        if (it.value()->kind == TopoNode::Kind::Instance) {
            tilesByInstance[it.key()].instance = it.key();
        } else if (it.value()->kind == TopoNode::Kind::Nic) {
            nicIds << it.key();
        }
    }
    std::sort(nicIds.begin(), nicIds.end());
    for (const QString &nic : std::as_const(nicIds)) {
        const QString parent = nodeById.value(nic)->parentId;
        if (tilesByInstance.contains(parent)) {
            tilesByInstance[parent].nics << nic;
        } else {
            orphanTiles << Tile { QString(), { nic }, QString() };
        }
    }
    QList<Tile> tiles = tilesByInstance.values(); // sorted by instance id (QMap)
    tiles << orphanTiles;
    QMap<QString, Block> blocks;
    for (Tile &t : tiles) {
        for (const QString &nic : std::as_const(t.nics)) {
            if (attachmentOf.contains(nic)) {
                t.home = attachmentOf.value(nic);
                break;
            }
        }
        if (t.home.isEmpty()) {
            t.home = anchor;
        }
        Block &b = blocks[t.home];
        b.home = t.home;
        b.tiles << t;
    }

    // Tile and block sizes. One column count for every block, chosen so that the grid as a
    // whole comes out roughly square: the blocks stack in one column of the picture.
    double tileW = 0, tileH = 0;
    qsizetype tileCount = 0;
    for (Block &b : blocks) {
        double nicH = 0;
        for (const Tile &t : std::as_const(b.tiles)) {
            double stack = 0;
            for (const QString &nic : t.nics) {
                b.nicColumnWidth = std::max(b.nicColumnWidth, sizeById.value(nic).width());
                stack += sizeById.value(nic).height() + (stack > 0 ? kTileNicGap : 0);
            }
            nicH = std::max(nicH, stack);
            if (!t.instance.isEmpty()) {
                b.instanceWidth = std::max(b.instanceWidth, sizeById.value(t.instance).width());
                nicH = std::max(nicH, sizeById.value(t.instance).height());
            }
        }
        const double w
            = b.nicColumnWidth + (b.nicColumnWidth > 0 && b.instanceWidth > 0 ? kTileInnerGap : 0) + b.instanceWidth;
        b.tileSize = QSizeF(w, nicH);
        tileW = std::max(tileW, w);
        tileH = std::max(tileH, nicH);
        tileCount += b.tiles.size();
    }
    const int columns = tileCount == 0
        ? 1
        : std::max(
            1, int(std::lround(std::sqrt(double(tileCount) * (tileH + kGridRowGap) / (tileW + kGridColumnGap)))));
    for (Block &b : blocks) {
        b.columns = std::min<int>(columns, int(b.tiles.size()));
        const int rows = int((b.tiles.size() + b.columns - 1) / b.columns);
        b.size = QSizeF(2 * kGridMargin + b.columns * b.tileSize.width() + (b.columns - 1) * kGridColumnGap,
            2 * kGridMargin + rows * b.tileSize.height() + (rows - 1) * kGridRowGap);
        // A name no graph id can have ("@" starts none of uplink/runner/if:/net:/inst:/nic:).
        b.name = QStringLiteral("@grid:") + b.home;
        dg.nodes << DotNode { b.name, b.size, QString(), rankOf(TopoNode::Kind::Nic) };
        ranks.insert(b.name, rankOf(TopoNode::Kind::Nic));
    }

    // Edges between host-level nodes go to dot; so does one trunk per block from its home.
    QList<std::pair<QString, TopoEdge>> hostEdges;
    for (qsizetype i = 0; i < graph.edges.size(); ++i) {
        const TopoEdge &e = graph.edges.at(i);
        if (!isGridNode(e.from) && !isGridNode(e.to)) {
            hostEdges.append({ QStringLiteral("e") + QString::number(i), e });
        }
    }
    QHash<QString, QString> trunkTagOf; // block name -> DOT id of the trunk from its home
    for (const Block &b : std::as_const(blocks)) {
        TopoEdge trunk;
        trunk.from = b.home;
        trunk.to = b.name;
        trunkTagOf.insert(b.name, QStringLiteral("t") + b.home);
        hostEdges.append({ trunkTagOf.value(b.name), trunk });
    }
    addRankedEdges(dg, ranks, hostEdges);
    sortDotGraph(dg);
    QHash<QString, const DotEdge *> dotEdgeByTag;
    for (const DotEdge &d : std::as_const(dg.edges)) {
        if (!d.tag.isEmpty()) {
            dotEdgeByTag.insert(d.tag, &d);
        }
    }

    const auto dot = runDot(writeDot(dg, false));
    if (!dot) {
        return dot.error();
    }

    TopoLayout layout;
    layout.method = QStringLiteral("dot+grid");
    QHash<QString, QRectF> dotRects;
    for (qsizetype i = 0; i < dg.nodes.size(); ++i) {
        const DotNode &n = dg.nodes.at(i);
        const QPointF c = dot->centres.value(dotName(i));
        const QRectF r(c.x() - n.size.width() / 2, c.y() - n.size.height() / 2, n.size.width(), n.size.height());
        dotRects.insert(n.name, r);
        if (!n.name.startsWith(QLatin1String("@grid:"))) {
            layout.nodes.insert(n.name, r);
        }
    }

    // Fill the blocks; remember for each NIC the route along its block's gutters.
    QHash<QString, QList<QPointF>> busOf; // NIC id -> polyline from the block's trunk end to the NIC
    for (const Block &b : std::as_const(blocks)) {
        const QRectF frame = dotRects.value(b.name);
        layout.groups.insert(b.home, frame);
        const QList<QPointF> trunk = dot->splines.value(trunkTagOf.value(b.name));
        const QPointF trunkEnd = trunk.isEmpty() ? QPointF(frame.left(), frame.center().y()) : trunk.last();
        const double busX = frame.left() + kGridMargin / 2;
        for (qsizetype i = 0; i < b.tiles.size(); ++i) {
            const Tile &t = b.tiles.at(i);
            const int row = int(i / b.columns), column = int(i % b.columns);
            const QRectF tile(frame.left() + kGridMargin + column * (b.tileSize.width() + kGridColumnGap),
                frame.top() + kGridMargin + row * (b.tileSize.height() + kGridRowGap), b.tileSize.width(),
                b.tileSize.height());
            double stack = -kTileNicGap;
            for (const QString &nic : t.nics) {
                stack += sizeById.value(nic).height() + kTileNicGap;
            }
            double y = tile.center().y() - stack / 2;
            for (const QString &nic : t.nics) {
                const QSizeF s = sizeById.value(nic);
                const QRectF r(tile.left(), y, s.width(), s.height());
                layout.nodes.insert(nic, r);
                y += s.height() + kTileNicGap;
                // Along the bus: into the block, down its left margin, along the gutter above the
                // tile's row, down the gutter left of its column to the NIC.
                QList<QPointF> bus { trunkEnd, QPointF(busX, trunkEnd.y()) };
                if (column > 0) {
                    const double gutterY = tile.top() - (row == 0 ? kGridMargin : kGridRowGap) / 2;
                    const double gutterX = tile.left() - kGridColumnGap / 2;
                    bus << QPointF(busX, gutterY) << QPointF(gutterX, gutterY) << QPointF(gutterX, r.center().y());
                } else {
                    bus << QPointF(busX, r.center().y());
                }
                bus << QPointF(r.left(), r.center().y());
                busOf.insert(nic, bus);
            }
            if (!t.instance.isEmpty()) {
                const QSizeF s = sizeById.value(t.instance);
                layout.nodes.insert(t.instance,
                    QRectF(tile.right() - b.instanceWidth, tile.center().y() - s.height() / 2, s.width(), s.height()));
            }
        }
    }

    // Edges: host-level ones from dot, NIC-to-home ones along trunk and bus, the rest straight.
    QHash<QString, QString> homeOfNic;
    for (const Block &b : std::as_const(blocks)) {
        for (const Tile &t : b.tiles) {
            for (const QString &nic : t.nics) {
                homeOfNic.insert(nic, b.home);
            }
        }
    }
    QSet<QString> busUsed; // one wire per NIC along the bus; a second edge to the same home goes straight
    for (qsizetype i = 0; i < graph.edges.size(); ++i) {
        const TopoEdge &e = graph.edges.at(i);
        QList<QPointF> points;
        QPointF label;
        if (!isGridNode(e.from) && !isGridNode(e.to)) {
            const QString tag = QStringLiteral("e") + QString::number(i);
            points = dot->splines.value(tag);
            if (points.size() >= 2) {
                const DotEdge *de = dotEdgeByTag.value(tag);
                if (de && de->tail != e.from) {
                    points = reversed(points);
                }
                label = dot->labels.value(tag);
            }
        } else {
            const QString nic = isGridNode(e.from) && nodeById.value(e.from)->kind == TopoNode::Kind::Nic ? e.from
                : isGridNode(e.to) && nodeById.value(e.to)->kind == TopoNode::Kind::Nic                   ? e.to
                                                                                                          : QString();
            const QString other = nic == e.from ? e.to : e.from;
            if (!nic.isEmpty() && homeOfNic.value(nic) == other && !isGridNode(other) && !busUsed.contains(nic)) {
                busUsed.insert(nic);
                const QList<QPointF> trunk = dot->splines.value(trunkTagOf.value(QStringLiteral("@grid:") + other));
                points = trunk.size() >= 2
                    ? trunk
                    : polylineToBezier(
                        { QPointF(layout.nodes.value(other).right(), layout.nodes.value(other).center().y()),
                            busOf.value(nic).first() });
                const QList<QPointF> bus = polylineToBezier(busOf.value(nic));
                points << bus.mid(1);
                if (e.from == nic) {
                    points = reversed(points);
                }
            }
        }
        if (points.size() < 2 && layout.nodes.contains(e.from) && layout.nodes.contains(e.to)) {
            points = straightBetween(layout.nodes.value(e.from), layout.nodes.value(e.to));
        }
        if (!e.label.isEmpty() && label.isNull()) {
            label = bezierMidpoint(points);
        }
        layout.edges << points;
        layout.edgeLabels << (e.label.isEmpty() ? QPointF() : label);
    }
    layout.bounds = dot->bounds;
    for (const QRectF &r : std::as_const(layout.nodes)) {
        layout.bounds = layout.bounds.united(r);
    }
    return layout;
}

} // namespace

QSizeF estimatedNodeSize(const TopoNode &node)
{
    // DejaVu Sans (the widgets' default on Linux) averages ~0.6 em per character; the label is
    // drawn at 10 pt, details at 9 pt, with 15 and 13 pt lines and 8 pt padding around.
    qsizetype labelChars = node.label.size();
    qsizetype detailChars = 0;
    for (const QString &line : node.details) {
        detailChars = std::max(detailChars, line.size());
    }
    const double width = std::max({ 60.0, labelChars * 6.2 + 16, detailChars * 5.4 + 16 });
    const double height = 15 + node.details.size() * 13 + 12;
    return QSizeF(std::ceil(width), std::ceil(height));
}

Result<TopoLayout> layoutTopology(
    const TopologyGraph &graph, const QMap<QString, QSizeF> &sizes, const TopoLayoutOptions &options)
{
    if (graph.nodes.isEmpty()) {
        TopoLayout empty;
        empty.method = QStringLiteral("dot");
        for (qsizetype i = 0; i < graph.edges.size(); ++i) {
            empty.edges << QList<QPointF>();
            empty.edgeLabels << QPointF();
        }
        return empty;
    }
    const bool grid = options.mode == TopoLayoutOptions::Mode::Grid
        || (options.mode == TopoLayoutOptions::Mode::Auto && graph.nodes.size() > options.gridThreshold);
    return grid ? layoutWithGrid(graph, sizes) : layoutWithDot(graph, sizes);
}

QFuture<Result<TopoLayout>> layoutTopologyAsync(
    TopologyGraph graph, QMap<QString, QSizeF> sizes, TopoLayoutOptions options)
{
    return QtConcurrent::run([graph = std::move(graph), sizes = std::move(sizes), options]() -> Result<TopoLayout> {
        // Nothing may cross the future boundary as an exception (std::bad_alloc on a huge graph).
        try {
            return layoutTopology(graph, sizes, options);
        } catch (const std::exception &e) {
            return Error { QStringLiteral("layout failed: %1").arg(QString::fromLocal8Bit(e.what())), QString() };
        }
    });
}

QString topologyToDot(const TopologyGraph &graph, const QMap<QString, QSizeF> &sizes)
{
    return writeDot(fullDotGraph(graph, sizes), true);
}

} // namespace nestscope
