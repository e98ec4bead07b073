#include "topologyscene.h"

#include "plan/plan.h"
#include "results/sample.h"

#include <QBuffer>
#include <QFontMetricsF>
#include <QGraphicsItem>
#include <QGraphicsSceneHoverEvent>
#include <QPainter>
#include <QPainterPath>
#include <QSignalBlocker>
#include <QStyleOptionGraphicsItem>
#include <QSvgGenerator>
#include <QVariantAnimation>

#include <algorithm>
#include <cmath>

namespace nestscope {

namespace {

constexpr qreal Padding = 7;
constexpr qreal Stripe = 5;
constexpr qreal NicPadding = 4;
constexpr qreal Radius = 6;
constexpr qreal BadgeSize = 18;
constexpr qreal Margin = 24;

struct KindLook {
    QColor accent;
    QColor fill;
    const char *tag;
};

KindLook lookOf(TopoNode::Kind kind)
{
    switch (kind) {
    case TopoNode::Kind::Uplink:
        return { QColor(0x4a, 0x5a, 0x70), QColor(0xee, 0xf1, 0xf6), "UPLINK" };
    case TopoNode::Kind::Runner:
        return { QColor(0x1f, 0x5f, 0xae), QColor(0xe6, 0xef, 0xfa), "RUNNER" };
    case TopoNode::Kind::Interface:
        return { QColor(0x60, 0x70, 0x80), QColor(0xf5, 0xf6, 0xf8), "IF" };
    case TopoNode::Kind::Bridge:
        return { QColor(0xb0, 0x64, 0x00), QColor(0xfd, 0xf2, 0xe1), "BRIDGE" };
    case TopoNode::Kind::Instance:
        return { QColor(0x6a, 0x3f, 0xa0), QColor(0xf3, 0xed, 0xfa), "INSTANCE" };
    case TopoNode::Kind::Nic:
        return { QColor(0x6a, 0x3f, 0xa0), QColor(0xff, 0xff, 0xff), "" };
    case TopoNode::Kind::Docker:
        return { QColor(0x13, 0x74, 0x9c), QColor(0xe4, 0xf3, 0xf9), "DOCKER" };
    }
    return { Qt::gray, Qt::white, "" };
}

/// The fonts every node is measured and drawn with, derived from the scene's font so that the
/// measured size and the painted text always agree.
struct NodeFonts {
    QFont label;
    QFont detail;
    QFont tag;
    explicit NodeFonts(const QFont &base, bool small)
        : label(base)
        , detail(base)
        , tag(base)
    {
        label.setPointSizeF(small ? 8.5 : 10);
        label.setBold(true);
        detail.setPointSizeF(small ? 7.5 : 8.5);
        tag.setPointSizeF(6.5);
        tag.setBold(true);
        tag.setLetterSpacing(QFont::AbsoluteSpacing, 0.6);
    }
};

bool isSmall(TopoNode::Kind kind)
{
    return kind == TopoNode::Kind::Nic || kind == TopoNode::Kind::Interface;
}

/// A node's problems, as lines drawn at the bottom of its box: a picture without tooltips
/// (an export, a screenshot) still says what is wrong where.
QStringList problemLines(const QList<TopoProblem> &problems)
{
    QStringList lines;
    for (const TopoProblem &p : problems) {
        lines << QStringLiteral("\u26a0 ") + p.title;
    }
    return lines;
}

QFont problemFont(const NodeFonts &fonts)
{
    QFont f = fonts.detail;
    f.setBold(true);
    return f;
}

QSizeF measure(const TopoNode &node, const QFont &base, const QList<TopoProblem> &problems)
{
    const bool small = isSmall(node.kind);
    const NodeFonts fonts(base, small);
    const QFontMetricsF label(fonts.label);
    const QFontMetricsF detail(fonts.detail);
    const QFontMetricsF tag(fonts.tag);
    const qreal pad = small ? NicPadding : Padding;
    const char *tagText = lookOf(node.kind).tag;
    qreal width = label.horizontalAdvance(node.label);
    if (*tagText) {
        width += 10 + tag.horizontalAdvance(QLatin1String(tagText));
    }
    for (const QString &line : node.details) {
        width = std::max(width, detail.horizontalAdvance(line));
    }
    const QFontMetricsF problem(problemFont(fonts));
    const QStringList problemText = problemLines(problems);
    for (const QString &line : problemText) {
        width = std::max(width, problem.horizontalAdvance(line));
    }
    const qreal height = label.height() + detail.lineSpacing() * qreal(node.details.size())
        + (problemText.isEmpty() ? 0 : 3 + problem.lineSpacing() * qreal(problemText.size()));
    const qreal minWidth = small ? 48 : 120;
    return { std::ceil(std::max(width + 2 * pad + Stripe, minWidth)), std::ceil(height + 2 * pad) };
}

/// Per-family verdict of the targets behind an edge: true pass, false fail, nullopt unknown.
std::optional<bool> verdictFor(const EdgeResults &results, const QStringList &targets, TopoEdge::Family family)
{
    bool anyPass = false;
    for (const QString &t : targets) {
        const auto families = results.value(t);
        const auto it = families.constFind(family);
        if (it == families.cend()) {
            continue;
        }
        if (!it.value()) {
            return false;
        }
        anyPass = true;
    }
    return anyPass ? std::optional<bool>(true) : std::nullopt;
}

QString familyText(TopoEdge::Family family)
{
    return family == TopoEdge::Family::IPv6 ? QStringLiteral("IPv6") : QStringLiteral("IPv4");
}

QString verdictText(std::optional<bool> verdict)
{
    return !verdict ? QStringLiteral("no result") : *verdict ? QStringLiteral("pass") : QStringLiteral("fail");
}

QString edgeKey(const TopoEdge &e)
{
    return e.from + QLatin1Char('>') + e.to + QLatin1Char('#') + QString::number(int(e.kind)) + QLatin1Char('/')
        + QString::number(int(e.family));
}

} // namespace

// ---------------------------------------------------------------------------------------------

class TopologyNodeItem final : public QGraphicsItem {
public:
    explicit TopologyNodeItem(const TopoNode &node)
    {
        setFlag(ItemIsSelectable);
        setAcceptHoverEvents(true);
        setZValue(2);
        setNode(node, QSizeF(80, 30), {});
    }

    void setNode(const TopoNode &node, const QSizeF &size, const QList<TopoProblem> &problems)
    {
        prepareGeometryChange();
        m_node = node;
        m_size = size;
        m_problems = problems;
        QString tip = QStringLiteral("<b>%1</b>").arg(node.label.toHtmlEscaped());
        for (const QString &d : node.details) {
            tip += QStringLiteral("<br>") + d.toHtmlEscaped();
        }
        setToolTip(tip);
        update();
    }

    const TopoNode &node() const { return m_node; }
    QSizeF size() const { return m_size; }

    void setMatch(bool highlighted, bool dimmed)
    {
        if (m_highlighted != highlighted || m_dimmed != dimmed) {
            m_highlighted = highlighted;
            m_dimmed = dimmed;
            setOpacity(dimmed ? 0.3 : 1.0);
            update();
        }
    }
    bool isHighlighted() const { return m_highlighted; }

    QRectF boundingRect() const override
    {
        const qreal grow = 5; // the highlight ring and the selection outline
        return QRectF(-m_size.width() / 2, -m_size.height() / 2, m_size.width(), m_size.height())
            .adjusted(-grow, -grow, grow, grow);
    }

    void paint(QPainter *painter, const QStyleOptionGraphicsItem *option, QWidget *) override
    {
        const KindLook look = lookOf(m_node.kind);
        const bool small = isSmall(m_node.kind);
        const NodeFonts fonts(scene() ? scene()->font() : QFont(), small);
        const QRectF box(-m_size.width() / 2, -m_size.height() / 2, m_size.width(), m_size.height());
        const bool selected = option->state & QStyle::State_Selected;
        painter->setRenderHint(QPainter::Antialiasing);

        if (m_highlighted) {
            painter->setPen(QPen(QColor(0xf2, 0xb1, 0x00), 5));
            painter->setBrush(Qt::NoBrush);
            painter->drawRoundedRect(box.adjusted(-2, -2, 2, 2), Radius + 2, Radius + 2);
        }
        QPainterPath outline;
        outline.addRoundedRect(box, small ? 3 : Radius, small ? 3 : Radius);
        painter->setPen(Qt::NoPen);
        painter->setBrush(look.fill);
        painter->drawPath(outline);
        if (!small) {
            // The kind's colour as a stripe down the left side, clipped to the rounded box.
            painter->save();
            painter->setClipPath(outline);
            painter->fillRect(QRectF(box.left(), box.top(), Stripe, box.height()), look.accent);
            painter->restore();
        }
        const bool error = std::any_of(m_problems.cbegin(), m_problems.cend(), [](const TopoProblem &p) {
            return p.severity == TopoProblem::Severity::Error;
        });
        QColor border = look.accent;
        qreal borderWidth = 1.2;
        if (!m_problems.isEmpty()) {
            border = error ? TopologyScene::failColor() : TopologyScene::warningColor();
            borderWidth = 2;
        }
        if (selected) {
            border = QColor(0x1a, 0x73, 0xe8);
            borderWidth = 2.5;
        }
        painter->setPen(
            QPen(border, borderWidth, m_node.kind == TopoNode::Kind::Uplink ? Qt::DashLine : Qt::SolidLine));
        painter->setBrush(Qt::NoBrush);
        painter->drawPath(outline);

        const qreal pad = small ? NicPadding : Padding;
        const qreal left = box.left() + pad + (small ? 0 : Stripe);
        const qreal right = box.right() - pad;
        const QFontMetricsF lm(fonts.label);
        const QFontMetricsF dm(fonts.detail);
        qreal y = box.top() + pad;
        painter->setPen(QColor(0x1c, 0x1c, 0x1c));
        painter->setFont(fonts.label);
        painter->drawText(QRectF(left, y, right - left, lm.height()), Qt::AlignLeft | Qt::AlignVCenter, m_node.label);
        if (*look.tag) {
            painter->setFont(fonts.tag);
            painter->setPen(look.accent);
            painter->drawText(
                QRectF(left, y, right - left, lm.height()), Qt::AlignRight | Qt::AlignVCenter, QLatin1String(look.tag));
        }
        y += lm.height();
        painter->setFont(fonts.detail);
        painter->setPen(QColor(0x40, 0x40, 0x40));
        for (const QString &line : m_node.details) {
            painter->drawText(QRectF(left, y, right - left, dm.lineSpacing()), Qt::AlignLeft | Qt::AlignVCenter, line);
            y += dm.lineSpacing();
        }
        if (!m_problems.isEmpty()) {
            const QFont pf = problemFont(fonts);
            const QFontMetricsF pm(pf);
            painter->setFont(pf);
            y += 3;
            for (const TopoProblem &p : m_problems) {
                painter->setPen(p.severity == TopoProblem::Severity::Error ? TopologyScene::failColor()
                                                                           : TopologyScene::warningColor().darker(115));
                painter->drawText(QRectF(left, y, right - left, pm.lineSpacing()), Qt::AlignLeft | Qt::AlignVCenter,
                    problemLines({ p }).constFirst());
                y += pm.lineSpacing();
            }
        }
    }

private:
    TopoNode m_node;
    QSizeF m_size;
    QList<TopoProblem> m_problems;
    bool m_highlighted = false;
    bool m_dimmed = false;
};

/// The red (error) or amber (warning) circle on a node's corner; its tooltip says why.
class ProblemBadgeItem final : public QGraphicsItem {
public:
    explicit ProblemBadgeItem(QGraphicsItem *parent)
        : QGraphicsItem(parent)
    {
        setZValue(3);
        setAcceptHoverEvents(true);
    }
    void setProblems(const QList<TopoProblem> &problems)
    {
        m_error = std::any_of(problems.cbegin(), problems.cend(), [](const TopoProblem &p) {
            return p.severity == TopoProblem::Severity::Error;
        });
        m_count = int(problems.size());
        QStringList parts;
        for (const TopoProblem &p : problems) {
            parts << QStringLiteral("<p><b>%1%2</b><br>%3</p>")
                         .arg(p.severity == TopoProblem::Severity::Error ? QString() : QStringLiteral("Warning: "),
                             p.title.toHtmlEscaped(), p.why.toHtmlEscaped());
        }
        setToolTip(parts.join(QString()));
        update();
    }
    bool isError() const { return m_error; }
    QRectF boundingRect() const override { return QRectF(-BadgeSize / 2, -BadgeSize / 2, BadgeSize, BadgeSize); }
    void paint(QPainter *painter, const QStyleOptionGraphicsItem *, QWidget *) override
    {
        painter->setRenderHint(QPainter::Antialiasing);
        painter->setPen(QPen(Qt::white, 1.5));
        painter->setBrush(m_error ? TopologyScene::failColor() : TopologyScene::warningColor());
        painter->drawEllipse(boundingRect().adjusted(1, 1, -1, -1));
        QFont f = scene() ? scene()->font() : QFont();
        f.setPointSizeF(8.5);
        f.setBold(true);
        painter->setFont(f);
        painter->setPen(Qt::white);
        painter->drawText(
            boundingRect(), Qt::AlignCenter, m_count > 1 ? QString::number(m_count) : QStringLiteral("!"));
    }

private:
    bool m_error = true;
    int m_count = 0;
};

class TopologyEdgeItem final : public QGraphicsPathItem {
public:
    explicit TopologyEdgeItem(const TopoEdge &edge)
        : m_edge(edge)
    {
        setZValue(0);
        setAcceptHoverEvents(true);
    }
    TopoEdge m_edge;
    QPolygonF m_arrow;
    QColor m_color = TopologyScene::plainEdgeColor();

    void setSpline(const QList<QPointF> &points, const QPointF &from, const QPointF &to)
    {
        QPainterPath path;
        m_arrow.clear();
        if (points.size() >= 4 && (points.size() - 1) % 3 == 0) {
            // Graphviz's "pos": a start point, then three points (two controls and an end) per cubic.
            path.moveTo(points.first());
            for (qsizetype i = 1; i + 2 < points.size(); i += 3) {
                path.cubicTo(points.at(i), points.at(i + 1), points.at(i + 2));
            }
        } else if (points.size() >= 2) {
            path.moveTo(points.first());
            for (qsizetype i = 1; i < points.size(); ++i) {
                path.lineTo(points.at(i));
            }
        } else {
            path.moveTo(from);
            path.lineTo(to);
        }
        if (m_edge.kind != TopoEdge::Kind::Attachment && path.length() > 12) {
            // Routes and NAT lead towards the uplink: a small arrow head at the end says which way.
            const QPointF tip = path.pointAtPercent(1.0);
            const qreal a = qDegreesToRadians(path.angleAtPercent(0.999));
            const QPointF dir(std::cos(a), -std::sin(a));
            const QPointF normal(-dir.y(), dir.x());
            m_arrow << tip << tip - dir * 9 + normal * 4 << tip - dir * 9 - normal * 4;
        }
        setPath(path);
    }

    void setColor(const QColor &color, qreal width, Qt::PenStyle style)
    {
        m_color = color;
        setPen(QPen(color, width, style, Qt::RoundCap, Qt::RoundJoin));
        update();
    }

    QRectF boundingRect() const override { return QGraphicsPathItem::boundingRect().united(m_arrow.boundingRect()); }

    void paint(QPainter *painter, const QStyleOptionGraphicsItem *option, QWidget *widget) override
    {
        painter->setRenderHint(QPainter::Antialiasing);
        QGraphicsPathItem::paint(painter, option, widget);
        if (!m_arrow.isEmpty()) {
            painter->setPen(Qt::NoPen);
            painter->setBrush(m_color);
            painter->drawPolygon(m_arrow);
        }
    }
};

/// An edge's label on a small rounded plate, so that it stays readable where it crosses a line.
class TopologyEdgeLabelItem final : public QGraphicsItem {
public:
    TopologyEdgeLabelItem() { setZValue(1); }
    void setText(const QString &text, const QFont &base)
    {
        prepareGeometryChange();
        m_text = text;
        m_font = base;
        m_font.setPointSizeF(7.5);
        const QFontMetricsF fm(m_font);
        qreal w = 0;
        const QStringList lines = text.split(QLatin1Char('\n'));
        for (const QString &line : lines) {
            w = std::max(w, fm.horizontalAdvance(line));
        }
        m_size = QSizeF(w + 8, fm.lineSpacing() * qreal(lines.size()) + 4);
        update();
    }
    void setColor(const QColor &color)
    {
        m_color = color;
        update();
    }
    QRectF boundingRect() const override
    {
        return QRectF(-m_size.width() / 2, -m_size.height() / 2, m_size.width(), m_size.height());
    }
    void paint(QPainter *painter, const QStyleOptionGraphicsItem *, QWidget *) override
    {
        if (m_text.isEmpty()) {
            return;
        }
        painter->setRenderHint(QPainter::Antialiasing);
        painter->setPen(QPen(m_color.lighter(150), 0.8));
        painter->setBrush(QColor(255, 255, 255, 235));
        painter->drawRoundedRect(boundingRect(), 3, 3);
        painter->setFont(m_font);
        painter->setPen(m_color == TopologyScene::plainEdgeColor() ? QColor(0x30, 0x30, 0x30) : m_color.darker(130));
        painter->drawText(boundingRect(), Qt::AlignCenter, m_text);
    }

private:
    QString m_text;
    QFont m_font;
    QSizeF m_size;
    QColor m_color = TopologyScene::plainEdgeColor();
};

// ---------------------------------------------------------------------------------------------

TopologyScene::TopologyScene(QObject *parent)
    : QGraphicsScene(parent)
{
    setBackgroundBrush(Qt::white);
    setItemIndexMethod(QGraphicsScene::BspTreeIndex);
    connect(this, &QGraphicsScene::selectionChanged, this, [this] {
        Q_EMIT nodeSelected(selectedNode());
    });
}

TopologyScene::~TopologyScene()
{
    // QGraphicsScene's destructor deletes the items, which would announce a selection change to
    // views that are going away themselves.
    blockSignals(true);
    clearGraph();
}

QColor TopologyScene::passColor()
{
    return QColor(0x2e, 0x8b, 0x3e);
}
QColor TopologyScene::failColor()
{
    return QColor(0xd0, 0x2a, 0x1e);
}
QColor TopologyScene::warningColor()
{
    return QColor(0xe0, 0x8e, 0x00);
}
QColor TopologyScene::unknownColor()
{
    return QColor(0xa8, 0xa8, 0xa8);
}
QColor TopologyScene::plainEdgeColor()
{
    return QColor(0x6b, 0x72, 0x80);
}

QMap<QString, QSizeF> TopologyScene::nodeSizes(const TopologyGraph &graph) const
{
    const QMap<QString, QList<TopoProblem>> problems = problemsByNode(graph);
    QMap<QString, QSizeF> sizes;
    for (const TopoNode &n : graph.nodes) {
        sizes.insert(n.id, measure(n, font(), problems.value(n.id)));
    }
    return sizes;
}

QMap<QString, QList<TopoProblem>> TopologyScene::problemsByNode(const TopologyGraph &graph)
{
    QMap<QString, QList<TopoProblem>> byNode;
    for (const TopoProblem &p : graph.problems) {
        // A problem about something the graph does not show is still the runner's problem.
        byNode[graph.node(p.nodeId) ? p.nodeId : QStringLiteral("runner")].append(p);
    }
    return byNode;
}

void TopologyScene::clearGraph()
{
    if (m_motion) {
        m_motion->stop();
        m_motion->disconnect(this);
    }
    clear();
    m_nodes.clear();
    m_edges.clear();
    m_edgeLabels.clear();
    m_graph = {};
    m_highlighted.clear();
}

void TopologyScene::setGraph(const TopologyGraph &graph, const TopoLayout &layout)
{
    if (m_motion) {
        // A glide still under way jumps to its end: the edges already run to the nodes' new places,
        // and a same-shape refresh below keeps the nodes where they are. Its items may go below.
        if (m_motion->state() == QAbstractAnimation::Running) {
            m_motion->setCurrentTime(m_motion->duration());
        }
        m_motion->stop();
        m_motion->disconnect(this);
    }
    // Same nodes, edges and box sizes as now: a refresh of the same runner. Keep every place as it
    // is. (A box that grew, e.g. a longer address, takes the new layout: kept places could overlap.)
    QStringList oldKeys;
    QStringList newKeys;
    for (const TopoNode &n : m_graph.nodes) {
        oldKeys << n.id;
    }
    for (const TopoEdge &e : m_graph.edges) {
        oldKeys << edgeKey(e);
    }
    for (const TopoNode &n : graph.nodes) {
        newKeys << n.id;
    }
    for (const TopoEdge &e : graph.edges) {
        newKeys << edgeKey(e);
    }
    const QMap<QString, QSizeF> sizes = nodeSizes(graph);
    const bool sameShape = !m_nodes.isEmpty() && oldKeys == newKeys && sizes == m_lastSizes;
    m_lastSizes = sizes;

    QHash<QString, TopologyNodeItem *> nodes;
    QList<std::pair<TopologyNodeItem *, std::pair<QPointF, QPointF>>> moves;
    const QMap<QString, QList<TopoProblem>> problems = problemsByNode(graph);
    for (const TopoNode &n : graph.nodes) {
        TopologyNodeItem *item = m_nodes.take(n.id);
        const bool reused = item != nullptr;
        if (!item) {
            item = new TopologyNodeItem(n);
            addItem(item);
        }
        item->setNode(n, sizes.value(n.id), problems.value(n.id));
        const QRectF r = layout.nodes.value(n.id);
        const QPointF target = r.isNull() ? item->pos() : r.center();
        if (!reused) {
            item->setPos(target);
        } else if (!sameShape && item->pos() != target) {
            moves.append({ item, { item->pos(), target } });
        }
        nodes.insert(n.id, item);
    }
    for (TopologyNodeItem *gone : std::as_const(m_nodes)) {
        delete gone;
    }
    m_nodes = nodes;

    QHash<QString, QList<std::pair<TopologyEdgeItem *, TopologyEdgeLabelItem *>>> oldEdges;
    for (qsizetype i = 0; i < m_edges.size(); ++i) {
        oldEdges[edgeKey(m_edges.at(i)->m_edge)].append({ m_edges.at(i), m_edgeLabels.at(i) });
    }
    m_edges.clear();
    m_edgeLabels.clear();
    for (qsizetype i = 0; i < graph.edges.size(); ++i) {
        const TopoEdge &e = graph.edges.at(i);
        auto &candidates = oldEdges[edgeKey(e)];
        TopologyEdgeItem *edge = nullptr;
        TopologyEdgeLabelItem *label = nullptr;
        if (!candidates.isEmpty()) {
            std::tie(edge, label) = candidates.takeFirst();
            edge->m_edge = e;
        } else {
            edge = new TopologyEdgeItem(e);
            label = new TopologyEdgeLabelItem;
            addItem(edge);
            addItem(label);
        }
        label->setText(e.label, font());
        if (!sameShape || edge->path().isEmpty()) {
            const QPointF from = layout.nodes.value(e.from).center();
            const QPointF to = layout.nodes.value(e.to).center();
            edge->setSpline(layout.edges.value(i), from, to);
            QPointF at = layout.edgeLabels.value(i);
            if (at.isNull()) {
                at = edge->path().pointAtPercent(0.5);
            }
            label->setPos(at);
        }
        label->setVisible(!e.label.isEmpty());
        m_edges << edge;
        m_edgeLabels << label;
    }
    for (const auto &rest : std::as_const(oldEdges)) {
        for (const auto &[edge, label] : rest) {
            delete edge;
            delete label;
        }
    }
    m_graph = graph;

    if (!moves.isEmpty()) {
        // Nodes that moved glide there; the edges already have their new routes.
        m_motion = m_motion ? m_motion : new QVariantAnimation(this);
        m_motion->setDuration(250);
        m_motion->setStartValue(0.0);
        m_motion->setEndValue(1.0);
        m_motion->setEasingCurve(QEasingCurve::InOutQuad);
        connect(m_motion, &QVariantAnimation::valueChanged, this, [moves](const QVariant &v) {
            const qreal t = v.toReal();
            for (const auto &[item, fromTo] : moves) {
                item->setPos(fromTo.first + (fromTo.second - fromTo.first) * t);
            }
        });
        m_motion->start();
    }
    updateBadges();
    updateEdgeLook();
    if (!m_highlightText.isEmpty() || !m_highlightIds.isEmpty()) {
        applyHighlight();
    }
    setSceneRect(drawingRect());
}

void TopologyScene::updateBadges()
{
    const QMap<QString, QList<TopoProblem>> byNode = problemsByNode(m_graph);
    for (TopologyNodeItem *node : std::as_const(m_nodes)) {
        ProblemBadgeItem *badge = nullptr;
        for (QGraphicsItem *child : node->childItems()) {
            if (auto *b = dynamic_cast<ProblemBadgeItem *>(child)) {
                badge = b;
            }
        }
        const QList<TopoProblem> problems = byNode.value(node->node().id);
        if (problems.isEmpty()) {
            delete badge;
            continue;
        }
        if (!badge) {
            badge = new ProblemBadgeItem(node);
        }
        badge->setProblems(problems);
        badge->setPos(node->size().width() / 2 - 2, -node->size().height() / 2 + 2);
    }
}

void TopologyScene::setSearchTerms(const QMap<QString, QStringList> &terms)
{
    m_terms = terms;
    if (!m_highlightText.isEmpty() || !m_highlightIds.isEmpty()) {
        applyHighlight();
    }
}

QStringList TopologyScene::highlight(const QString &searchText)
{
    m_highlightText = searchText.trimmed();
    m_highlightIds.clear();
    return applyHighlight();
}

QStringList TopologyScene::highlightNodes(const QStringList &ids)
{
    m_highlightText.clear();
    m_highlightIds = ids;
    return applyHighlight();
}

QStringList TopologyScene::applyHighlight()
{
    m_highlighted.clear();
    const bool active = !m_highlightText.isEmpty() || !m_highlightIds.isEmpty();
    for (const TopoNode &n : std::as_const(m_graph.nodes)) {
        TopologyNodeItem *item = m_nodes.value(n.id);
        if (!item) {
            continue;
        }
        bool match = m_highlightIds.contains(n.id);
        if (!m_highlightText.isEmpty()) {
            QStringList haystack = n.details;
            haystack << n.id << n.label << m_terms.value(n.id);
            match = std::any_of(haystack.cbegin(), haystack.cend(), [this](const QString &s) {
                return s.contains(m_highlightText, Qt::CaseInsensitive);
            });
        }
        item->setMatch(match, active && !match);
        if (match) {
            m_highlighted << n.id;
        }
    }
    const bool dimEdges = active;
    for (qsizetype i = 0; i < m_edges.size(); ++i) {
        const TopoEdge &e = m_edges.at(i)->m_edge;
        const bool touches = m_highlighted.contains(e.from) || m_highlighted.contains(e.to);
        m_edges.at(i)->setOpacity(dimEdges && !touches ? 0.3 : 1.0);
        m_edgeLabels.at(i)->setOpacity(dimEdges && !touches ? 0.3 : 1.0);
    }
    return m_highlighted;
}

void TopologyScene::setEdgeResults(const EdgeResults &results)
{
    m_results = results;
    updateEdgeLook();
}

void TopologyScene::updateEdgeLook()
{
    // Which targets' verdicts an edge carries: an instance's own edges carry that instance's;
    // a bridge's route to the uplink carries every instance on the bridge; the runner's, its own.
    QMap<QString, QStringList> instancesOnBridge;
    auto instanceOf = [this](const QString &id) -> QString {
        if (id.startsWith(QLatin1String("inst:"))) {
            return id.mid(5);
        }
        if (id.startsWith(QLatin1String("nic:"))) {
            const TopoNode *n = m_graph.node(id);
            if (n && n->parentId.startsWith(QLatin1String("inst:"))) {
                return n->parentId.mid(5);
            }
            return id.mid(4).section(QLatin1Char('/'), 0, 0);
        }
        return {};
    };
    for (const TopoEdge &e : std::as_const(m_graph.edges)) {
        const QString a = instanceOf(e.from);
        const QString b = instanceOf(e.to);
        if (!a.isEmpty() && e.to.startsWith(QLatin1String("net:"))) {
            instancesOnBridge[e.to] << a;
        } else if (!b.isEmpty() && e.from.startsWith(QLatin1String("net:"))) {
            instancesOnBridge[e.from] << b;
        }
    }
    for (qsizetype i = 0; i < m_edges.size(); ++i) {
        TopologyEdgeItem *item = m_edges.at(i);
        const TopoEdge &e = item->m_edge;
        const qreal width = e.kind == TopoEdge::Kind::Attachment ? 1.4 : 2.2;
        const Qt::PenStyle style = e.kind == TopoEdge::Kind::Nat ? Qt::DashLine : Qt::SolidLine;
        QString tip = e.label.isEmpty() ? QStringLiteral("%1 — %2").arg(e.from, e.to)
                                        : QStringLiteral("%1 — %2\n%3").arg(e.from, e.to, e.label);
        if (m_results.isEmpty()) {
            item->setColor(plainEdgeColor(), width, style);
            m_edgeLabels.at(i)->setColor(plainEdgeColor());
            item->setToolTip(tip);
            m_edgeLabels.at(i)->setToolTip(tip);
            continue;
        }
        QStringList targets;
        for (const QString &end : { e.from, e.to }) {
            if (const QString inst = instanceOf(end); !inst.isEmpty()) {
                targets << inst;
            }
        }
        if (targets.isEmpty()) {
            for (const QString &end : { e.from, e.to }) {
                targets << instancesOnBridge.value(end);
            }
        }
        if (targets.isEmpty() && !e.from.startsWith(QLatin1String("net:")) && !e.to.startsWith(QLatin1String("net:"))
            && !e.from.startsWith(QLatin1String("if:docker")) && !e.to.startsWith(QLatin1String("if:docker"))) {
            targets << QStringLiteral("runner");
        }
        QList<TopoEdge::Family> families;
        if (e.family == TopoEdge::Family::Both) {
            families = { TopoEdge::Family::IPv4, TopoEdge::Family::IPv6 };
        } else {
            families = { e.family };
        }
        int passes = 0;
        int fails = 0;
        tip += QStringLiteral("\nLast run (HTTP/TCP probes of %1):")
                   .arg(targets.isEmpty() ? QStringLiteral("nobody") : targets.join(QStringLiteral(", ")));
        for (const auto f : families) {
            const auto verdict = verdictFor(m_results, targets, f);
            passes += verdict && *verdict;
            fails += verdict && !*verdict;
            tip += QStringLiteral("\n  %1: %2").arg(familyText(f), verdictText(verdict));
        }
        QColor color = unknownColor();
        if (fails > 0 && passes > 0) {
            color = warningColor(); // one family works, the other does not
        } else if (fails > 0) {
            color = failColor();
        } else if (passes > 0) {
            color = passColor();
        }
        item->setColor(color, width + (fails + passes > 0 ? 0.6 : 0), style);
        m_edgeLabels.at(i)->setColor(color);
        item->setToolTip(tip);
        m_edgeLabels.at(i)->setToolTip(tip);
    }
}

void TopologyScene::selectNode(const QString &id)
{
    clearSelection();
    if (TopologyNodeItem *item = m_nodes.value(id)) {
        item->setSelected(true);
    }
}

QString TopologyScene::selectedNode() const
{
    for (QGraphicsItem *item : selectedItems()) {
        if (auto *node = dynamic_cast<TopologyNodeItem *>(item)) {
            return node->node().id;
        }
    }
    return {};
}

QStringList TopologyScene::nodeIds() const
{
    QStringList ids;
    for (const TopoNode &n : m_graph.nodes) {
        ids << n.id;
    }
    return ids;
}

QGraphicsItem *TopologyScene::nodeItem(const QString &id) const
{
    return m_nodes.value(id);
}

QString TopologyScene::problemToolTip(const QString &id) const
{
    if (const TopologyNodeItem *node = m_nodes.value(id)) {
        for (QGraphicsItem *child : node->childItems()) {
            if (auto *b = dynamic_cast<ProblemBadgeItem *>(child)) {
                return b->toolTip();
            }
        }
    }
    return {};
}

int TopologyScene::edgeCount() const
{
    return int(m_edges.size());
}

QColor TopologyScene::edgeColor(int index) const
{
    return index >= 0 && index < m_edges.size() ? m_edges.at(index)->m_color : QColor();
}

QString TopologyScene::edgeToolTip(int index) const
{
    return index >= 0 && index < m_edges.size() ? m_edges.at(index)->toolTip() : QString();
}

QRectF TopologyScene::drawingRect() const
{
    QRectF r;
    for (const TopologyNodeItem *n : m_nodes) {
        r |= n->sceneBoundingRect();
    }
    for (const TopologyEdgeItem *e : m_edges) {
        r |= e->sceneBoundingRect();
    }
    for (const TopologyEdgeLabelItem *l : m_edgeLabels) {
        if (l->isVisible()) {
            r |= l->sceneBoundingRect();
        }
    }
    if (r.isNull()) {
        return QRectF(0, 0, 200, 100);
    }
    return r.adjusted(-Margin, -Margin, Margin, Margin);
}

void TopologyScene::finishMotion()
{
    if (m_motion && m_motion->state() == QAbstractAnimation::Running) {
        m_motion->setCurrentTime(m_motion->duration()); // export where things end up, not half way
    }
}

void TopologyScene::renderInto(QPainter *painter, const QRectF &target)
{
    finishMotion();
    const QRectF source = drawingRect();
    painter->fillRect(target, Qt::white);
    // The picture shows the topology, not where the user clicked: no selection outline in it.
    const QList<QGraphicsItem *> selected = selectedItems();
    const QSignalBlocker quiet(this);
    for (QGraphicsItem *item : selected) {
        item->setSelected(false);
    }
    render(painter, target, source, Qt::KeepAspectRatio);
    for (QGraphicsItem *item : selected) {
        item->setSelected(true);
    }
}

QImage TopologyScene::toImage(qreal scale)
{
    finishMotion(); // before measuring: the picture is sized for where things end up
    const QRectF source = drawingRect();
    QImage image((source.size() * scale).toSize(), QImage::Format_ARGB32_Premultiplied);
    image.fill(Qt::white);
    QPainter painter(&image);
    painter.setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing | QPainter::SmoothPixmapTransform);
    renderInto(&painter, QRectF(QPointF(0, 0), image.size()));
    painter.end();
    return image;
}

QByteArray TopologyScene::toSvg(const QString &title)
{
    finishMotion();
    const QRectF source = drawingRect();
    QByteArray data;
    QBuffer buffer(&data);
    buffer.open(QIODevice::WriteOnly);
    QSvgGenerator svg;
    svg.setOutputDevice(&buffer);
    svg.setSize(source.size().toSize());
    svg.setViewBox(QRectF(QPointF(0, 0), source.size()));
    svg.setResolution(72); // scene units are points
    svg.setTitle(title.isEmpty() ? QStringLiteral("Nestscope topology") : title);
    svg.setDescription(QStringLiteral("Network topology drawn by Nestscope"));
    QPainter painter(&svg);
    renderInto(&painter, QRectF(QPointF(0, 0), source.size()));
    painter.end();
    return data;
}

} // namespace nestscope
