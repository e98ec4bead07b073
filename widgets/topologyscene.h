#pragma once

#include "report/report.h" // edgeVerdicts(): the report colours its figure alike
#include "results/edgeresults.h"
#include "topology/graph.h"

#include <QColor>
#include <QGraphicsScene>
#include <QHash>
#include <QMap>
#include <QSizeF>
#include <QStringList>

class QVariantAnimation;

namespace nestscope {

class TopologyNodeItem;
class TopologyEdgeItem;
class TopologyEdgeLabelItem;

/// The topology graph drawn: a rounded box per node (its kind as a coloured stripe and a tag),
/// Graphviz's splines as Bézier edges with their labels, a red or amber badge on each node with
/// problems (the tooltip says why), search highlighting and the last run's verdicts on the edges.
/// Calling setGraph() again with the same ids updates the items in place, so nothing jumps.
class TopologyScene final : public QGraphicsScene {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TopologyScene)
public:
    explicit TopologyScene(QObject *parent = nullptr);
    ~TopologyScene() override;

    /// What the layout must reserve for each node (in points = scene units), measured with the
    /// scene's fonts. Pass these to the layout so that labels never overlap.
    QMap<QString, QSizeF> nodeSizes(const TopologyGraph &graph) const;

    /// Shows `graph` at the positions of `layout`. Items of ids seen before are reused; when the
    /// nodes and edges are the same as before, every item keeps its place, otherwise the nodes
    /// glide to their new places.
    void setGraph(const TopologyGraph &graph, const TopoLayout &layout);
    void clearGraph();
    const TopologyGraph &graph() const { return m_graph; }

    /// Extra words search finds a node by (addresses, MACs, veth names), per node id.
    void setSearchTerms(const QMap<QString, QStringList> &terms);
    /// Highlights the nodes whose id, label, details or search terms contain `text` (case
    /// insensitive) and dims the others; an empty text clears it. Returns the matching ids.
    QStringList highlight(const QString &text);
    QStringList highlighted() const { return m_highlighted; }
    /// Highlights exactly these nodes (a finding's evidence) and dims the rest; empty clears.
    QStringList highlightNodes(const QStringList &ids);

    /// Colours the edges with the verdicts of a run: green pass, red fail, grey unknown, per family.
    /// Empty results go back to the plain look.
    void setEdgeResults(const EdgeResults &results);
    const EdgeResults &edgeResults() const { return m_results; }

    void selectNode(const QString &id);
    QString selectedNode() const;

    // For views, exports and tests.
    QStringList nodeIds() const;
    QGraphicsItem *nodeItem(const QString &id) const;
    /// The badge's tooltip (titles and why), or empty when the node has no problem.
    QString problemToolTip(const QString &id) const;
    int edgeCount() const;
    QColor edgeColor(int index) const;
    QString edgeToolTip(int index) const;
    /// The drawing's extent with a margin, for fitting and exporting.
    QRectF drawingRect() const;

    /// The drawing as a picture `scale` times its size in points, on a white background.
    /// Ends a running glide at its destination (exports show where things end up).
    void finishMotion();
    QImage toImage(qreal scale = 2.0);
    /// The drawing as SVG (text stays text, so the file is searchable).
    QByteArray toSvg(const QString &title = QString());

    /// The problems drawn on each node (ones about a node the graph lacks go to "runner").
    static QMap<QString, QList<TopoProblem>> problemsByNode(const TopologyGraph &graph);

    static QColor passColor();
    static QColor failColor();
    static QColor warningColor();
    static QColor unknownColor();
    static QColor plainEdgeColor();

Q_SIGNALS:
    /// The selected node's id, or empty when the selection was cleared.
    void nodeSelected(const QString &id);

private:
    QStringList applyHighlight();
    void updateEdgeLook();
    void updateBadges();
    void renderInto(QPainter *painter, const QRectF &target);

    QMap<QString, QSizeF> m_lastSizes; ///< the box sizes of the last setGraph()
    TopologyGraph m_graph;
    QHash<QString, TopologyNodeItem *> m_nodes;
    QList<TopologyEdgeItem *> m_edges;
    QList<TopologyEdgeLabelItem *> m_edgeLabels;
    QMap<QString, QStringList> m_terms;
    QStringList m_highlighted;
    QString m_highlightText;
    QStringList m_highlightIds;
    EdgeResults m_results;
    QVariantAnimation *m_motion = nullptr;
};

} // namespace nestscope
