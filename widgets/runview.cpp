#include "runview.h"

#include "heatmapdelegate.h"
#include "matrixfiltermodel.h"
#include "matrixmodel.h"
#include "resultcharts.h"
#include "sampledetails.h"

#include <QClipboard>
#include <QComboBox>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

namespace nestscope {

RunView::RunView(QWidget *parent)
    : QWidget(parent)
    , m_title(new QLabel(this))
    , m_model(new MatrixModel(this))
    , m_filter(new MatrixFilterModel(this))
    , m_show(new QComboBox(this))
    , m_view(new QTableView(this))
    , m_details(new SampleDetails(this))
    , m_charts(new ResultCharts(this))
{
    QFont heading = m_title->font();
    heading.setBold(true);
    m_title->setFont(heading);
    m_title->setTextFormat(Qt::PlainText);

    m_filter->setSourceModel(m_model);
    m_view->setModel(m_filter);
    m_view->setItemDelegate(new HeatmapDelegate(m_view));
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setShowGrid(false);
    m_view->setWordWrap(false);
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_view->horizontalHeader()->setMinimumSectionSize(120);
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_view->setAccessibleName(tr("Result matrix"));
    connect(m_view->selectionModel(), &QItemSelectionModel::currentChanged, this, &RunView::showCell);

    m_show->addItem(tr("All probes"), int(MatrixFilterModel::Show::All));
    m_show->addItem(tr("Probes with problems"), int(MatrixFilterModel::Show::Problems));
    m_show->addItem(tr("Probes that never passed somewhere"), int(MatrixFilterModel::Show::Failing));
    connect(m_show, &QComboBox::currentIndexChanged, this, [this] {
        m_filter->setShow(MatrixFilterModel::Show(m_show->currentData().toInt()));
    });
    auto *copy = new QPushButton(tr("Copy as Markdown"), this);
    copy->setToolTip(tr("Put the matrix on the clipboard as a Markdown table, for a ticket or a chat"));
    connect(copy, &QPushButton::clicked, this, &RunView::copyMarkdown);

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_title, 1);
    bar->addWidget(new QLabel(tr("Show:"), this));
    bar->addWidget(m_show);
    bar->addWidget(copy);

    auto *top = new QWidget(this);
    auto *topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(6, 4, 6, 0);
    topLayout->addLayout(bar);
    auto *matrixAndDetails = new QSplitter(Qt::Horizontal, top);
    matrixAndDetails->addWidget(m_view);
    matrixAndDetails->addWidget(m_details);
    matrixAndDetails->setStretchFactor(0, 3);
    matrixAndDetails->setStretchFactor(1, 2);
    topLayout->addWidget(matrixAndDetails, 1);

    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(top);
    split->addWidget(m_charts);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);
}

void RunView::setRun(const Run &run, const QString &title)
{
    m_run = run;
    m_title->setText(title);
    m_model->setMatrix(Matrix::fromRun(run));
    m_details->clear();
    m_charts->setRun(run);
}

void RunView::copyMarkdown()
{
    QGuiApplication::clipboard()->setText(m_model->toMarkdown());
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
