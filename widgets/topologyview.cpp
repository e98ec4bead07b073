#include "topologyview.h"

#include "codehighlighter.h"
#include "common/savefile.h"
#include "topology/discovery.h"
#include "topology/layout.h"
#include "topology/topologyinspect.h"
#include "transport/transport.h"

#include <QAction>
#include <QBuffer>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFrame>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QResizeEvent>
#include <QScrollBar>
#include <QShowEvent>
#include <QSplitter>
#include <QStyle>
#include <QSyntaxHighlighter>
#include <QTextBrowser>
#include <QToolBar>
#include <QToolButton>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <QWheelEvent>

#include <cmath>

namespace nestscope {

TopologyGraphicsView::TopologyGraphicsView(QWidget *parent)
    : QGraphicsView(parent)
{
    setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing);
    setDragMode(QGraphicsView::ScrollHandDrag);
    setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    setResizeAnchor(QGraphicsView::AnchorViewCenter);
    setViewportUpdateMode(QGraphicsView::SmartViewportUpdate);
    setFocusPolicy(Qt::StrongFocus);
    setAccessibleName(tr("Topology graph"));
}

void TopologyGraphicsView::zoomBy(qreal factor)
{
    m_keepFitted = false; // the user chose a zoom: a resize no longer changes it
    const qreal next = std::clamp(zoom() * factor, 0.05, 8.0);
    scale(next / zoom(), next / zoom());
}

void TopologyGraphicsView::fitDrawing()
{
    // A graph laid out while the page is hidden (a stored run's tab, the Topology page before its
    // first visit) was fitted into a viewport of a default size and came up as a speck in the
    // middle: refit whenever the viewport gets its real size, until the user zooms.
    m_keepFitted = true;
    fitNow();
}

void TopologyGraphicsView::resizeEvent(QResizeEvent *event)
{
    QGraphicsView::resizeEvent(event);
    if (m_keepFitted) {
        fitNow();
    }
}

void TopologyGraphicsView::showEvent(QShowEvent *event)
{
    QGraphicsView::showEvent(event);
    if (m_keepFitted) {
        fitNow();
    }
}

void TopologyGraphicsView::fitNow()
{
    if (!scene() || viewport()->width() < 2 || viewport()->height() < 2) {
        return;
    }
    const QRectF r = static_cast<TopologyScene *>(scene())->drawingRect();
    fitInView(r, Qt::KeepAspectRatio);
    // A small graph is not blown up past its natural size: text stays at its designed size.
    if (zoom() > 1.5) {
        const qreal s = 1.5 / zoom();
        scale(s, s);
        centerOn(r.center());
    }
}

void TopologyGraphicsView::wheelEvent(QWheelEvent *event)
{
    // The wheel zooms (anchored under the mouse); with Shift it scrolls as usual.
    if (event->modifiers() & Qt::ShiftModifier) {
        QGraphicsView::wheelEvent(event);
        return;
    }
    const qreal steps = event->angleDelta().y() / 120.0;
    if (steps != 0) {
        zoomBy(std::pow(1.2, steps));
    }
    event->accept();
}

TopologyView::TopologyView(QWidget *parent)
    : QWidget(parent)
    , m_scene(new TopologyScene(this))
    , m_view(new TopologyGraphicsView(this))
    , m_bannerBox(new QFrame(this))
    , m_banner(new QLabel(m_bannerBox))
    , m_bannerDetailsButton(new QToolButton(m_bannerBox))
    , m_bannerDetails(new QPlainTextEdit(m_bannerBox))
    , m_inspectorTitle(new QLabel(this))
    , m_inspectorKind(new QLabel(this))
    , m_problems(new QTextBrowser(this))
    , m_facts(new QTreeWidget(this))
    , m_raw(new QPlainTextEdit(this))
{
    setObjectName(QStringLiteral("TopologyView"));
    m_view->setScene(m_scene);

    auto *bar = new QToolBar(tr("Topology"), this);
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    bar->setIconSize(QSize(16, 16));
    createActions(bar);

    m_banner->setWordWrap(true);
    m_banner->setTextFormat(Qt::RichText);
    m_banner->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_banner->setContentsMargins(8, 5, 8, 5);
    // What is wrong and what to do is the banner; the raw words (a Go error, the commands) are
    // for whoever asks, behind a disclosure.
    m_bannerDetailsButton->setText(tr("Details"));
    m_bannerDetailsButton->setCheckable(true);
    m_bannerDetailsButton->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_bannerDetailsButton->setArrowType(Qt::RightArrow);
    m_bannerDetailsButton->setAutoRaise(true);
    m_bannerDetailsButton->setToolTip(tr("Show the commands and what they printed"));
    m_bannerDetails->setReadOnly(true);
    m_bannerDetails->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    m_bannerDetails->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_bannerDetails->setMaximumHeight(150);
    m_bannerDetails->setAccessibleName(tr("Discovery details"));
    m_bannerDetails->hide();
    connect(m_bannerDetailsButton, &QToolButton::toggled, this, [this](bool shown) {
        m_bannerDetailsButton->setArrowType(shown ? Qt::DownArrow : Qt::RightArrow);
        m_bannerDetails->setVisible(shown);
    });
    m_bannerBox->setAutoFillBackground(true);
    auto *bannerRow = new QHBoxLayout;
    bannerRow->setContentsMargins(0, 0, 4, 0);
    bannerRow->addWidget(m_banner, 1);
    bannerRow->addWidget(m_bannerDetailsButton, 0, Qt::AlignTop);
    auto *bannerLayout = new QVBoxLayout(m_bannerBox);
    bannerLayout->setContentsMargins(0, 0, 0, 0);
    bannerLayout->setSpacing(0);
    bannerLayout->addLayout(bannerRow);
    bannerLayout->addWidget(m_bannerDetails);
    m_bannerBox->hide();

    // The inspector: what the selected node is, its facts, the problems on it, its raw configuration.
    QFont title = m_inspectorTitle->font();
    title.setBold(true);
    title.setPointSizeF(title.pointSizeF() * 1.2);
    m_inspectorTitle->setFont(title);
    m_inspectorTitle->setTextFormat(Qt::PlainText);
    m_inspectorKind->setTextFormat(Qt::PlainText);
    // The problems' explanations are long (what shows it, what breaks, how to fix): they scroll.
    m_problems->setFrameShape(QFrame::NoFrame);
    m_problems->setOpenLinks(false);
    m_problems->setAccessibleName(tr("Problems on this node"));
    QPalette problemPalette = m_problems->palette();
    problemPalette.setColor(QPalette::Base, problemPalette.color(QPalette::Window));
    m_problems->setPalette(problemPalette);
    m_facts->setColumnCount(2);
    m_facts->setHeaderLabels({ tr("Fact"), tr("Value") });
    m_facts->setRootIsDecorated(false);
    m_facts->setUniformRowHeights(true);
    m_facts->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_facts->header()->setStretchLastSection(true);
    m_facts->setAccessibleName(tr("Node facts"));
    m_raw->setReadOnly(true);
    m_raw->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_raw->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_raw->setAccessibleName(tr("Raw configuration"));
    auto *inspector = new QWidget(this);
    auto *inspectorLayout = new QVBoxLayout(inspector);
    inspectorLayout->setContentsMargins(6, 0, 0, 0);
    inspectorLayout->addWidget(m_inspectorTitle);
    inspectorLayout->addWidget(m_inspectorKind);
    m_problems->setMaximumHeight(200);
    inspectorLayout->addWidget(m_problems);
    auto *details = new QSplitter(Qt::Vertical, inspector);
    details->addWidget(m_facts);
    details->addWidget(m_raw);
    details->setStretchFactor(0, 2);
    details->setStretchFactor(1, 3);
    inspectorLayout->addWidget(details, 1);

    // What the colours on the graph mean, under it, where the eye goes when an edge turns red.
    m_legend = new QLabel(this);
    m_legend->setTextFormat(Qt::RichText);
    m_legend->setWordWrap(true);
    m_legend->setContentsMargins(8, 3, 8, 3);
    const auto swatch = [](const QColor &c) {
        return QStringLiteral("<span style=\"color:%1\">&#9632;</span>").arg(c.name());
    };
    m_legend->setText(tr("Edges after a run (HTTP and TCP probes, per address family): %1 passed · %2 failed · "
                         "%3 IPv4 and IPv6 differ · %4 no result. Arrows: routing and NAT towards the uplink. "
                         "A red or amber badge marks a problem; point at it for why.")
                          .arg(swatch(TopologyScene::passColor()), swatch(TopologyScene::failColor()),
                              swatch(TopologyScene::warningColor()), swatch(TopologyScene::unknownColor())));
    auto *graph = new QWidget(this);
    auto *graphLayout = new QVBoxLayout(graph);
    graphLayout->setContentsMargins(0, 0, 0, 0);
    graphLayout->setSpacing(0);
    graphLayout->addWidget(m_view, 1);
    graphLayout->addWidget(m_legend);

    auto *split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(graph);
    split->addWidget(inspector);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 0);
    split->setSizes({ 900, 340 });

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(bar);
    layout->addWidget(m_bannerBox);
    layout->addWidget(split, 1);

    connect(m_scene, &TopologyScene::nodeSelected, this, &TopologyView::showInspector);
    connect(&m_layoutWatcher, &QFutureWatcherBase::finished, this, &TopologyView::onLayoutDone);
    showInspector(QString());
    updateState();
}

TopologyView::~TopologyView()
{
    if (m_discovery) {
        m_discovery->disconnect(this);
        m_discovery->cancel();
    }
    // The layout thread holds only copies; waiting here keeps it from outliving the page.
    m_layoutWatcher.waitForFinished();
}

void TopologyView::createActions(QToolBar *bar)
{
    auto action = [this](const QString &text, const QList<QKeySequence> &keys, const QString &tip) {
        auto *a = new QAction(text, this);
        a->setShortcuts(keys);
        // Only while the page has focus: the main window's F5, Ctrl+R and Esc keep their meaning.
        a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        QString shortcut;
        if (!keys.isEmpty()) {
            shortcut = QStringLiteral(" (%1)").arg(keys.first().toString(QKeySequence::NativeText));
        }
        a->setToolTip(tip + shortcut);
        a->setStatusTip(tip);
        addAction(a);
        return a;
    };
    m_discoverAction = action(tr("&Discover"), { QKeySequence(Qt::CTRL | Qt::Key_D) },
        tr("Discover the runner's network and LXD configuration again"));
    m_discoverAction->setIcon(style()->standardIcon(QStyle::SP_BrowserReload));
    connect(m_discoverAction, &QAction::triggered, this, &TopologyView::discover);
    m_cancelAction = action(tr("Cancel"), { QKeySequence(Qt::Key_Escape) }, tr("Stop the discovery in progress"));
    m_cancelAction->setIcon(style()->standardIcon(QStyle::SP_BrowserStop));
    connect(m_cancelAction, &QAction::triggered, this, &TopologyView::cancelDiscovery);
    m_fitAction = action(tr("&Fit"), { QKeySequence(Qt::Key_F), QKeySequence(Qt::CTRL | Qt::Key_0) },
        tr("Fit the whole graph into the view"));
    connect(m_fitAction, &QAction::triggered, m_view, &TopologyGraphicsView::fitDrawing);
    m_zoomInAction = action(
        tr("Zoom &In"), { QKeySequence(QKeySequence::ZoomIn), QKeySequence(Qt::CTRL | Qt::Key_Equal) }, tr("Zoom in"));
    connect(m_zoomInAction, &QAction::triggered, this, [this] {
        m_view->zoomBy(1.25);
    });
    m_zoomOutAction = action(tr("Zoom &Out"), { QKeySequence(QKeySequence::ZoomOut) }, tr("Zoom out"));
    connect(m_zoomOutAction, &QAction::triggered, this, [this] {
        m_view->zoomBy(1 / 1.25);
    });
    m_exportPngAction = action(tr("Export &PNG…"), {}, tr("Save the graph as a PNG picture"));
    connect(m_exportPngAction, &QAction::triggered, this, &TopologyView::exportPng);
    m_exportSvgAction = action(tr("Export &SVG…"), {}, tr("Save the graph as SVG (scalable, text stays text)"));
    connect(m_exportSvgAction, &QAction::triggered, this, &TopologyView::exportSvg);

    m_search = new QLineEdit(this);
    m_search->setPlaceholderText(tr("Find a node: name, address or MAC"));
    m_search->setClearButtonEnabled(true);
    m_search->setMaximumWidth(280);
    m_search->setAccessibleName(tr("Find in topology"));
    connect(m_search, &QLineEdit::textChanged, this, &TopologyView::runSearch);
    // Enter goes to the first match: selects it and brings it into view.
    connect(m_search, &QLineEdit::returnPressed, this, [this] {
        const QStringList ids = m_scene->highlighted();
        if (!ids.isEmpty()) {
            m_scene->selectNode(ids.first());
            if (QGraphicsItem *item = m_scene->nodeItem(ids.first())) {
                m_view->centerOn(item);
            }
        }
    });
    m_findAction = action(tr("Find"), { QKeySequence(QKeySequence::Find) }, tr("Find a node"));
    connect(m_findAction, &QAction::triggered, this, [this] {
        m_search->setFocus(Qt::ShortcutFocusReason);
        m_search->selectAll();
    });
    m_matches = new QLabel(this);
    m_matches->setMinimumWidth(80);
    m_matches->setContentsMargins(6, 0, 6, 0);

    // The busy bar and the state sit in one box: the tool bar's layout owns its items' visibility,
    // the box's own layout lets the bar come and go.
    auto *status = new QWidget(this);
    auto *statusLayout = new QHBoxLayout(status);
    statusLayout->setContentsMargins(0, 0, 0, 0);
    m_busy = new QProgressBar(status);
    m_busy->setRange(0, 0); // discovery and layout do not know how far along they are
    m_busy->setMaximumWidth(90);
    m_busy->setMaximumHeight(14);
    m_busy->setTextVisible(false);
    m_state = new QLabel(status);
    m_state->setContentsMargins(6, 0, 6, 0);
    statusLayout->addWidget(m_busy);
    statusLayout->addWidget(m_state, 1);

    bar->addAction(m_discoverAction);
    bar->addAction(m_cancelAction);
    bar->addSeparator();
    bar->addAction(m_fitAction);
    bar->addAction(m_zoomInAction);
    bar->addAction(m_zoomOutAction);
    bar->addSeparator();
    bar->addWidget(m_search);
    bar->addWidget(m_matches);
    bar->addSeparator();
    bar->addAction(m_exportPngAction);
    bar->addAction(m_exportSvgAction);
    bar->addSeparator();
    bar->addWidget(status);
}

void TopologyView::setTransport(Transport *transport)
{
    if (m_transport == transport) {
        return;
    }
    if (m_discovery) {
        // A discovery of the old runner says nothing about the new one: drop it without a word.
        m_discovery->disconnect(this);
        m_discovery->cancel();
        m_discovery->deleteLater();
        m_discovery = nullptr;
    }
    m_cancelling = false; // a Cancel of the dropped one must not make the next error read "cancelled"
    const bool switched = m_transport != nullptr;
    m_transport = transport;
    if (switched && m_hasTopology) {
        // The graph was the last runner's: under the new runner's name (and, should its discovery
        // fail, under a red banner) it would pass for this one's. The page starts over.
        m_topology = Topology {};
        m_hasTopology = false;
        m_error.clear();
        m_pendingGraph = {};
        m_dropLayout = m_layingOut;
        m_layoutAgain = false;
        m_scene->clearGraph();
        updateBanner();
        showInspector(QString());
    }
    updateState();
}

bool TopologyView::isDiscovering() const
{
    return m_discovery && m_discovery->isRunning();
}

bool TopologyView::isLayingOut() const
{
    // Not the watcher's isRunning(): inside its finished() handler that may still say true.
    return m_layingOut;
}

void TopologyView::discover()
{
    if (isDiscovering()) {
        return;
    }
    if (!m_transport) {
        m_error = tr("There is no runner to discover: connect to one with Runner > Connect, or use this machine.");
        updateBanner();
        Q_EMIT discoveryFinished(false);
        return;
    }
    delete m_discovery;
    m_discovery = new TopologyDiscovery(m_transport, this);
    m_discovery->setClient(m_client);
    const QString where = m_transport->description();
    connect(m_discovery, &TopologyDiscovery::finished, this, [this, where](const Result<Topology> &result) {
        m_discovery->deleteLater();
        const bool cancelled = m_cancelling;
        m_cancelling = false;
        if (!result && cancelled) {
            // Asked for: not an error. The last topology, if any, stays on the page.
            updateState();
            m_state->setText(tr("Discovery cancelled"));
            Q_EMIT discoveryFinished(false);
            return;
        }
        if (!result) {
            m_error = tr("Discovery on %1 failed: %2. Check the connection (Runner > Reconnect) and press Discover "
                         "again.")
                          .arg(where, result.error().toString());
            updateBanner();
            updateState();
            Q_EMIT discoveryFinished(false);
            return;
        }
        m_error.clear();
        setTopology(result.value());
        Q_EMIT discoveryFinished(true);
    });
    m_error.clear();
    m_discovery->start();
    updateState();
    Q_EMIT discoveryStarted();
}

void TopologyView::cancelDiscovery()
{
    if (isDiscovering()) {
        m_cancelling = true;
        m_discovery->cancel(); // finished() follows with an error; the last topology stays
    }
}

void TopologyView::setTopology(const Topology &topology)
{
    m_topology = topology;
    m_hasTopology = true;
    if (m_scene->selectedNode().isEmpty()) {
        showInspector(QString()); // "No topology yet" under a graph would contradict it
    }
    m_pendingGraph = buildTopologyGraph(topology);
    m_scene->setSearchTerms(topologySearchTerms(topology));
    updateBanner();
    if (m_layingOut) {
        m_layoutAgain = true; // the running layout is for an older topology: lay out again when it ends
    } else {
        startLayout();
    }
    updateState();
}

void TopologyView::startLayout()
{
    m_layoutAgain = false;
    m_layingOut = true;
    m_layoutWatcher.setFuture(layoutTopologyAsync(m_pendingGraph, m_scene->nodeSizes(m_pendingGraph)));
    updateState();
}

void TopologyView::onLayoutDone()
{
    m_layingOut = false;
    if (m_dropLayout) {
        m_dropLayout = false;
        if (m_layoutAgain) {
            startLayout(); // a topology of the new runner arrived meanwhile
        } else {
            updateState();
        }
        return;
    }
    if (m_layoutAgain) {
        startLayout();
        return;
    }
    const Result<TopoLayout> layout = m_layoutWatcher.result();
    if (!layout) {
        m_error = tr("The graph could not be laid out: %1").arg(layout.error().toString());
        updateBanner();
        updateState();
        return;
    }
    const QString selected = m_scene->selectedNode();
    const bool first = m_scene->nodeIds().isEmpty();
    m_scene->setGraph(m_pendingGraph, *layout);
    if (!selected.isEmpty() && m_scene->nodeItem(selected)) {
        m_scene->selectNode(selected);
        showInspector(selected); // the facts may have changed under the same id
    }
    runSearch();
    if (first || m_fitAfterLayout) {
        m_fitAfterLayout = false;
        m_view->fitDrawing();
    }
    updateState();
    Q_EMIT layoutFinished();
}

void TopologyView::setEdgeResults(const EdgeResults &results)
{
    m_scene->setEdgeResults(results);
}

void TopologyView::runSearch()
{
    const QString text = m_search->text();
    const QStringList matches = m_scene->highlight(text);
    if (text.trimmed().isEmpty()) {
        m_matches->clear();
    } else {
        m_matches->setText(matches.isEmpty() ? tr("no match") : tr("%n match(es)", nullptr, int(matches.size())));
    }
}

void TopologyView::showInspector(const QString &id)
{
    m_facts->clear();
    if (id.isEmpty() || !m_hasTopology) {
        // (a stored run's snapshot has no Discover button to point to)
        const bool canDiscover = m_discoverAction->isVisible() && m_discoverAction->isEnabled();
        m_inspectorTitle->setText(m_hasTopology ? tr("Select a node") : tr("No topology yet"));
        m_inspectorKind->setText(m_hasTopology ? tr("Click a node of the graph: its details and raw configuration show "
                                                    "here.")
                : canDiscover                  ? tr("Press Discover (Ctrl+D) to read the runner's network.")
                                               : tr("Nothing was discovered for this view."));
        m_problems->hide();
        m_raw->clear();
        return;
    }
    const NodeInspection info = inspectNode(m_topology, m_scene->graph(), id);
    m_inspectorTitle->setText(info.title);
    m_inspectorKind->setText(info.kind);
    for (const auto &[name, value] : info.facts) {
        auto *item = new QTreeWidgetItem(m_facts, { name, value });
        item->setToolTip(1, value);
    }
    if (info.problems.isEmpty()) {
        m_problems->hide();
    } else {
        QString html;
        for (const TopoProblem &p : info.problems) {
            const bool error = p.severity == TopoProblem::Severity::Error;
            html += QStringLiteral("<p><b style='color:%1'>%2</b><br>%3</p>")
                        .arg(error ? TopologyScene::failColor().name() : QStringLiteral("#b06a00"),
                            p.title.toHtmlEscaped(), p.why.toHtmlEscaped());
        }
        m_problems->setHtml(html);
        m_problems->show();
    }
    // The highlighter goes on before the text, so the text is coloured as it arrives.
    if (!m_highlighter || m_rawLanguage != info.rawLanguage) {
        delete m_highlighter;
        m_rawLanguage = info.rawLanguage;
        m_highlighter = attachHighlighter(m_raw->document(), info.rawLanguage);
    }
    m_raw->setPlainText(info.raw);
}

void TopologyView::updateBanner()
{
    QStringList lines;
    QStringList details;
    if (!m_error.isEmpty()) {
        lines << QStringLiteral("<b>%1</b>").arg(m_error.toHtmlEscaped());
    }
    for (const TopoWarning &w : std::as_const(m_topology.warnings)) {
        // The LXD sections are one thing to a reader: the daemon (their names go with the details).
        const bool lxd = w.source.startsWith(QLatin1String("lxd"));
        const QString source = !lxd                          ? w.source
            : m_topology.lxdClient == QLatin1String("incus") ? QStringLiteral("Incus")
            : m_topology.lxdClient.isEmpty()                 ? QStringLiteral("LXD/Incus") // no client to ask
                                                             : QStringLiteral("LXD");
        lines << QStringLiteral("<b>%1:</b> %2").arg(source.toHtmlEscaped(), w.message.toHtmlEscaped());
        if (!w.details.isEmpty()) {
            details << QStringLiteral("[%1]\n%2").arg(w.source, w.details);
        }
    }
    if (lines.isEmpty()) {
        m_bannerBox->hide();
        return;
    }
    QPalette p = m_bannerBox->palette();
    p.setColor(QPalette::Window, m_error.isEmpty() ? QColor(0xff, 0xf4, 0xd6) : QColor(0xfd, 0xe2, 0xdf));
    p.setColor(QPalette::WindowText, QColor(0x33, 0x2a, 0x10));
    p.setColor(QPalette::ButtonText, QColor(0x33, 0x2a, 0x10));
    m_bannerBox->setPalette(p);
    const QString heading = m_error.isEmpty()
        ? tr("Discovery could not see everything (%n warning(s)):", nullptr, int(m_topology.warnings.size()))
        : QString();
    m_banner->setText(
        (heading.isEmpty() ? QString() : heading + QStringLiteral("<br>")) + lines.join(QStringLiteral("<br>")));
    m_bannerDetails->setPlainText(details.join(QStringLiteral("\n\n")));
    m_bannerDetailsButton->setVisible(!details.isEmpty());
    if (details.isEmpty()) {
        m_bannerDetailsButton->setChecked(false);
    }
    m_bannerBox->show();
}

void TopologyView::updateState()
{
    const bool discovering = isDiscovering();
    const bool layingOut = isLayingOut();
    m_discoverAction->setEnabled(!discovering && m_transport);
    m_cancelAction->setEnabled(discovering);
    const bool drawn = !m_scene->nodeIds().isEmpty();
    m_exportPngAction->setEnabled(drawn);
    m_exportSvgAction->setEnabled(drawn);
    m_fitAction->setEnabled(drawn);
    m_busy->setVisible(discovering || layingOut);
    if (discovering) {
        m_state->setText(tr("Discovering on %1…").arg(m_transport ? m_transport->description() : QString()));
    } else if (layingOut) {
        m_state->setText(tr("Laying out…"));
    } else if (m_hasTopology && m_topology.discoveredAt.isValid()) {
        m_state->setText(
            tr("%1 · discovered at %2")
                .arg(m_topology.transport, m_topology.discoveredAt.toLocalTime().toString(QStringLiteral("HH:mm:ss"))));
    } else if (m_hasTopology) {
        m_state->setText(m_topology.transport);
    } else {
        m_state->setText(m_transport ? tr("Not discovered yet") : QString());
    }
}

Result<bool> TopologyView::exportTo(const QString &path)
{
    if (m_scene->nodeIds().isEmpty()) {
        return Error { tr("there is no graph to export yet: discover the runner first"), path };
    }
    const bool svg = path.endsWith(QLatin1String(".svg"), Qt::CaseInsensitive);
    QByteArray data;
    if (svg) {
        data = m_scene->toSvg(tr("Topology of %1").arg(m_topology.hostname));
    } else {
        QBuffer buffer(&data);
        buffer.open(QIODevice::WriteOnly);
        if (!m_scene->toImage(2.0).save(&buffer, "PNG")) {
            return Error { tr("the picture could not be encoded as PNG"), path };
        }
    }
    if (const QString why = writeWholeFile(path, data); !why.isEmpty()) {
        return Error { tr("cannot write the file (%1); choose another folder").arg(why), path };
    }
    return true;
}

void TopologyView::exportWithDialog(const QString &filter, const QString &suffix)
{
    const QString name
        = QStringLiteral("topology-%1.%2")
              .arg(m_topology.hostname.isEmpty() ? QStringLiteral("runner") : m_topology.hostname, suffix);
    QString path = QFileDialog::getSaveFileName(this, tr("Export Topology"), name, filter);
    if (path.isEmpty()) {
        return;
    }
    if (QFileInfo(path).suffix().isEmpty()) {
        path += QLatin1Char('.') + suffix;
    }
    if (const auto ok = exportTo(path); !ok) {
        QMessageBox::warning(this, tr("Cannot export the topology"), ok.error().toString());
    }
}

void TopologyView::exportPng()
{
    exportWithDialog(tr("PNG picture (*.png)"), QStringLiteral("png"));
}

void TopologyView::exportSvg()
{
    exportWithDialog(tr("SVG drawing (*.svg)"), QStringLiteral("svg"));
}

} // namespace nestscope
