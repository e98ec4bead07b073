#pragma once

#include "codehighlighter.h"
#include "common/result.h"
#include "topology/graph.h"
#include "topology/topology.h"
#include "topologyscene.h"
#include "transport/instancetransport.h"

#include <QFutureWatcher>
#include <QGraphicsView>
#include <QPointer>
#include <QWidget>

class QAction;
class QFrame;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QSyntaxHighlighter;
class QTextBrowser;
class QToolBar;
class QToolButton;
class QTreeWidget;

namespace nestscope {

class Transport;
class TopologyDiscovery;

/// The graph's viewport: the wheel zooms around the cursor, dragging the background pans.
class TopologyGraphicsView final : public QGraphicsView {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TopologyGraphicsView)
public:
    explicit TopologyGraphicsView(QWidget *parent = nullptr);
    void zoomBy(qreal factor);
    /// Fits the drawing into the viewport, and keeps it fitted as the viewport gets its real size
    /// (shown, docked, resized) until the user zooms.
    void fitDrawing();
    qreal zoom() const { return transform().m11(); }
    /// Whether the drawing is kept fitted to the viewport (until the user zooms).
    bool keepsFitted() const { return m_keepFitted; }

protected:
    void wheelEvent(QWheelEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void showEvent(QShowEvent *event) override;

private:
    void fitNow();
    bool m_keepFitted = false;
};

/// The Topology page: discover the runner's network over its transport, lay the graph out off the
/// GUI thread, and explore it (zoom, pan, search, select a node for its details and raw
/// configuration); export it as PNG or SVG. Discovery warnings stay visible above the graph.
class TopologyView final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TopologyView)
public:
    explicit TopologyView(QWidget *parent = nullptr);
    ~TopologyView() override;

    /// Where Refresh discovers from; a discovery in flight on the old transport is cancelled.
    void setTransport(Transport *transport);
    /// The LXD/Incus client the next discovery asks (the Settings' instance client).
    void setClient(InstanceTransport::Client client) { m_client = client; }
    /// Shows a topology (discovered or read from a file): builds the graph and lays it out in the
    /// background. Positions of nodes that were there before stay where they are.
    void setTopology(const Topology &topology);
    const Topology &topology() const { return m_topology; }
    bool hasTopology() const { return m_hasTopology; }
    /// The last run's verdicts on the edges (see edgeResultsFromRun()).
    void setEdgeResults(const EdgeResults &results);

    bool isDiscovering() const;
    bool isLayingOut() const;

    /// Writes the drawing to `path`: SVG when it ends in .svg, PNG otherwise.
    Result<bool> exportTo(const QString &path);

    TopologyScene *scene() const { return m_scene; }
    TopologyGraphicsView *graphicsView() const { return m_view; }
    QLineEdit *searchBox() const { return m_search; }
    QLabel *matchLabel() const { return m_matches; }
    QLabel *warningBanner() const { return m_banner; }
    /// The banner's disclosure: the commands and the client's own words behind a warning (e.g.
    /// lxc's Go error), hidden until asked for. The button shows only when there is something behind.
    QToolButton *warningDetailsButton() const { return m_bannerDetailsButton; }
    QPlainTextEdit *warningDetails() const { return m_bannerDetails; }
    /// What the edge colours and badges mean.
    QLabel *legend() const { return m_legend; }
    QLabel *stateLabel() const { return m_state; }
    QLabel *inspectorTitle() const { return m_inspectorTitle; }
    QTreeWidget *inspectorFacts() const { return m_facts; }
    QTextBrowser *inspectorProblems() const { return m_problems; }
    QPlainTextEdit *rawConfiguration() const { return m_raw; }
    QAction *discoverAction() const { return m_discoverAction; }
    QAction *cancelAction() const { return m_cancelAction; }
    QAction *fitAction() const { return m_fitAction; }
    QAction *zoomInAction() const { return m_zoomInAction; }
    QAction *zoomOutAction() const { return m_zoomOutAction; }
    QAction *findAction() const { return m_findAction; }
    QAction *exportPngAction() const { return m_exportPngAction; }
    QAction *exportSvgAction() const { return m_exportSvgAction; }

public Q_SLOTS:
    void discover();
    void cancelDiscovery();
    void exportPng();
    void exportSvg();

Q_SIGNALS:
    /// A discovery began (Discover, or a first look at the page).
    void discoveryStarted();
    /// Discovery ended: with a topology (possibly partial), or with an error shown on the page.
    void discoveryFinished(bool ok);
    /// The graph on screen now matches the topology last set.
    void layoutFinished();

private:
    void createActions(QToolBar *bar);
    void startLayout();
    void onLayoutDone();
    void showInspector(const QString &id);
    void updateBanner();
    void updateState();
    void runSearch();
    void exportWithDialog(const QString &filter, const QString &suffix);

    TopologyScene *m_scene;
    TopologyGraphicsView *m_view;
    QLineEdit *m_search = nullptr;
    QLabel *m_matches = nullptr;
    QFrame *m_bannerBox;
    QLabel *m_banner;
    QToolButton *m_bannerDetailsButton;
    QPlainTextEdit *m_bannerDetails;
    QLabel *m_legend = nullptr;
    QLabel *m_state = nullptr;
    QProgressBar *m_busy = nullptr;
    QLabel *m_inspectorTitle;
    QLabel *m_inspectorKind;
    QTextBrowser *m_problems;
    QTreeWidget *m_facts;
    QPlainTextEdit *m_raw;
    QSyntaxHighlighter *m_highlighter = nullptr;
    CodeLanguage m_rawLanguage = CodeLanguage::Json;
    QAction *m_discoverAction = nullptr;
    QAction *m_cancelAction = nullptr;
    QAction *m_fitAction = nullptr;
    QAction *m_zoomInAction = nullptr;
    QAction *m_zoomOutAction = nullptr;
    QAction *m_findAction = nullptr;
    QAction *m_exportPngAction = nullptr;
    QAction *m_exportSvgAction = nullptr;

    QPointer<Transport> m_transport;
    InstanceTransport::Client m_client = InstanceTransport::Client::Auto;
    QPointer<TopologyDiscovery> m_discovery;
    Topology m_topology;
    bool m_hasTopology = false;
    QString m_error;
    TopologyGraph m_pendingGraph;
    QFutureWatcher<Result<TopoLayout>> m_layoutWatcher;
    bool m_layingOut = false;
    bool m_cancelling = false;
    bool m_layoutAgain = false; ///< a newer topology arrived while laying out
    bool m_dropLayout = false; ///< the runner changed while laying out: the result is not drawn
    bool m_fitAfterLayout = true;
};

} // namespace nestscope
