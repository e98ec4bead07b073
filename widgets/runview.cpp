#include "runview.h"

#include "diagnosis/diagnosis.h"
#include "findingspanel.h"
#include "matrixmodel.h"
#include "matrixpanel.h"
#include "resultcharts.h"
#include "sampledetails.h"
#include "topology/topologyjson.h"
#include "topologyscene.h"
#include "topologyview.h"

#include <QAction>
#include <QLabel>
#include <QSplitter>
#include <QTabWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace nestscope {

RunView::RunView(QWidget *parent)
    : QWidget(parent)
    , m_panel(new MatrixPanel(this))
    , m_details(new SampleDetails(this))
    , m_charts(new ResultCharts(this))
    , m_lower(new QTabWidget(this))
    , m_findings(new FindingsPanel(this))
{
    m_lower->setDocumentMode(true);
    // The verdict first: it is what a stored or imported run is opened for.
    m_lower->addTab(m_findings, tr("&Findings"));
    m_lower->addTab(m_charts, tr("&Charts"));
    connect(m_findings, &FindingsPanel::evidenceChanged, this,
        [this](const QSet<std::pair<QString, QString>> &cells, const QStringList &nodes) {
            matrixModel()->setEvidence(cells);
            if (m_topology) {
                m_topology->scene()->highlightNodes(nodes);
            }
        });
    connect(m_panel, &MatrixPanel::currentCellChanged, this, &RunView::showCell);

    auto *top = new QWidget(this);
    auto *topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    auto *matrixAndDetails = new QSplitter(Qt::Horizontal, top);
    matrixAndDetails->addWidget(m_panel);
    matrixAndDetails->addWidget(m_details);
    matrixAndDetails->setStretchFactor(0, 3);
    matrixAndDetails->setStretchFactor(1, 2);
    topLayout->addWidget(matrixAndDetails, 1);

    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(top);
    split->addWidget(m_lower);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    split->setSizes({ 450, 450 }); // the matrix is what people read first; the tabs' hint would take most
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);
}

MatrixModel *RunView::matrixModel() const
{
    return m_panel->model();
}

MatrixFilterModel *RunView::filterModel() const
{
    return m_panel->filterModel();
}

QTableView *RunView::matrixView() const
{
    return m_panel->view();
}

QComboBox *RunView::showFilter() const
{
    return m_panel->showFilter();
}

void RunView::setRun(const Run &run, const QString &title)
{
    m_run = run;
    m_panel->title()->setText(title);
    // The plan as it ran says which probes are about which address family.
    const Result<Plan> plan = parsePlan(run.planText, run.planFile, run.variables);
    m_panel->setProbeFamilies(plan ? probeFamilies(*plan) : QHash<QString, Family> {});
    matrixModel()->setMatrix(Matrix::fromRun(run));
    m_details->clear();
    m_charts->setRun(run);
    if (run.topologyJson.isEmpty()) {
        m_findings->clear(tr("No verdict: this run kept no topology snapshot (nestscope diagnose RUN.json "
                             "--topology FILE can judge it with one)."));
    } else if (const auto diagnosis = diagnoseRun(run)) {
        m_findings->setDiagnosis(*diagnosis);
    } else {
        m_findings->clear(tr("No verdict: %1").arg(diagnosis.error().toString()));
    }

    // The topology the run met (a snapshot, not live: nothing is discovered from here).
    const Result<Topology> topology = run.topologyJson.isEmpty()
        ? Result<Topology>(Error { tr("no topology snapshot"), {} })
        : readTopologyJson(run.topologyJson);
    if (topology) {
        if (!m_topology) {
            m_topology = new TopologyView(this);
            m_topology->discoverAction()->setEnabled(false);
            m_topology->discoverAction()->setVisible(false);
            m_topology->cancelAction()->setVisible(false);
            m_lower->addTab(m_topology, tr("&Topology at the Time"));
        }
        m_topology->setTopology(*topology);
        m_topology->setEdgeResults(edgeResultsFromRun(run, plan ? &*plan : nullptr));
    } else if (m_topology) {
        m_lower->removeTab(m_lower->indexOf(m_topology));
        delete m_topology;
        m_topology = nullptr;
    }
}

void RunView::copyMarkdown()
{
    m_panel->copyMarkdown();
}

void RunView::showCell(const QModelIndex &index)
{
    if (!index.isValid()) {
        m_details->clear();
        return;
    }
    const QString probe = index.data(MatrixModel::ProbeIdRole).toString();
    const QString target = index.data(MatrixModel::TargetRole).toString();
    QList<Sample> samples;
    for (const Sample &s : m_run.samples) {
        if (s.probeId == probe && s.target == target) {
            samples << s;
        }
    }
    std::sort(samples.begin(), samples.end(), [](const Sample &a, const Sample &b) {
        return a.repetition < b.repetition;
    });
    m_details->showSamples(probe, target, samples);
}

} // namespace nestscope
