#include "comparisonview.h"

#include "comparisonmodel.h"
#include "resultcharts.h"
#include "sampledetails.h"

#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>
#include <utility>

namespace nestscope {

ComparisonView::ComparisonView(QWidget *parent)
    : QWidget(parent)
    , m_title(new QLabel(this))
    , m_summary(new QLabel(this))
    , m_ratio(new QDoubleSpinBox(this))
    , m_minDelta(new QDoubleSpinBox(this))
    , m_model(new ComparisonModel(this))
    , m_view(new QTableView(this))
    , m_charts(new ResultCharts(this))
    , m_lower(new QTabWidget(this))
    , m_beforeHeading(new QLabel(this))
    , m_afterHeading(new QLabel(this))
    , m_beforeSamples(new SampleDetails(this))
    , m_afterSamples(new SampleDetails(this))
{
    QFont bold = m_summary->font();
    bold.setBold(true);
    m_summary->setFont(bold);
    m_summary->setTextFormat(Qt::PlainText);
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_title->setTextFormat(Qt::PlainText);

    m_ratio->setRange(1, 1000);
    m_ratio->setDecimals(0);
    m_ratio->setSuffix(QStringLiteral(" %"));
    m_ratio->setValue(50);
    m_ratio->setToolTip(tr("A median must move by at least this share to count as slower or faster"));
    m_minDelta->setRange(0, 60000);
    m_minDelta->setDecimals(0);
    m_minDelta->setSuffix(QStringLiteral(" ms"));
    m_minDelta->setValue(20);
    m_minDelta->setToolTip(tr("… and by at least this many milliseconds, so jitter on fast probes is not news"));
    connect(m_ratio, &QDoubleSpinBox::valueChanged, this, &ComparisonView::recompute);
    connect(m_minDelta, &QDoubleSpinBox::valueChanged, this, &ComparisonView::recompute);

    m_view->setModel(m_model);
    m_view->setShowGrid(false);
    m_view->setWordWrap(false);
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_view->horizontalHeader()->setMinimumSectionSize(160);
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_view->setAccessibleName(tr("Comparison matrix"));

    auto *thresholds = new QHBoxLayout;
    thresholds->addWidget(new QLabel(tr("Latency change counts from"), this));
    thresholds->addWidget(m_ratio);
    thresholds->addWidget(new QLabel(tr("and"), this));
    thresholds->addWidget(m_minDelta);
    thresholds->addStretch(1);

    auto *top = new QWidget(this);
    auto *topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(6, 4, 6, 0);
    topLayout->addWidget(m_title);
    topLayout->addWidget(m_summary);
    topLayout->addLayout(thresholds);
    topLayout->addWidget(m_view, 1);

    // A cell's samples from both runs, one above the other: the same repetitions line up.
    auto *samples = new QSplitter(Qt::Vertical, this);
    for (auto [heading, details] :
        { std::pair { m_beforeHeading, m_beforeSamples }, std::pair { m_afterHeading, m_afterSamples } }) {
        auto *side = new QWidget(this);
        auto *sideLayout = new QVBoxLayout(side);
        sideLayout->setContentsMargins(6, 4, 6, 0);
        QFont headingFont = heading->font();
        headingFont.setBold(true);
        heading->setFont(headingFont);
        heading->setTextFormat(Qt::PlainText);
        sideLayout->addWidget(heading);
        sideLayout->addWidget(details, 1);
        samples->addWidget(side);
    }
    m_lower->setDocumentMode(true);
    m_lower->addTab(m_charts, tr("Charts"));
    m_lower->addTab(samples, tr("Samples"));
    connect(m_view, &QTableView::clicked, this, [this](const QModelIndex &index) {
        showCell(index.row(), index.column());
    });
    connect(m_view, &QTableView::activated, this, [this](const QModelIndex &index) {
        showCell(index.row(), index.column());
    });

    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(top);
    split->addWidget(m_lower);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);
}

void ComparisonView::setRuns(const Run &before, const QString &beforeLabel, const Run &after, const QString &afterLabel)
{
    m_before = before;
    m_after = after;
    m_title->setText(tr("Before: %1   ·   After: %2").arg(beforeLabel, afterLabel));
    m_beforeHeading->setText(tr("Before: %1").arg(beforeLabel));
    m_afterHeading->setText(tr("After: %1").arg(afterLabel));
    m_beforeSamples->clear();
    m_afterSamples->clear();
    m_charts->setRuns({ { beforeLabel, before }, { afterLabel, after } });
    recompute();
}

void ComparisonView::setThresholds(ComparisonThresholds thresholds)
{
    const QSignalBlocker a(m_ratio);
    const QSignalBlocker b(m_minDelta);
    m_ratio->setValue(thresholds.ratio * 100);
    m_minDelta->setValue(thresholds.minDeltaMs);
    recompute();
}

const Comparison &ComparisonView::comparison() const
{
    return m_model->comparison();
}

QString ComparisonView::summary() const
{
    return m_summary->text();
}

void ComparisonView::showCell(int row, int column)
{
    const Comparison &c = comparison();
    if (row < 0 || column < 0 || row >= c.rowCount() || column >= c.columnCount()) {
        return;
    }
    const CellComparison &cell = c.cell(row, column);
    auto samplesOf = [&cell](const Run &run) {
        QList<Sample> samples;
        for (const Sample &s : run.samples) {
            if (s.probeId == cell.probeId && s.target == cell.target) {
                samples << s;
            }
        }
        std::stable_sort(samples.begin(), samples.end(), [](const Sample &a, const Sample &b) {
            return a.repetition < b.repetition;
        });
        return samples;
    };
    m_beforeSamples->showSamples(cell.probeId, cell.target, samplesOf(m_before));
    m_afterSamples->showSamples(cell.probeId, cell.target, samplesOf(m_after));
    m_lower->setCurrentIndex(1);
}

void ComparisonView::recompute()
{
    ComparisonThresholds t;
    t.ratio = m_ratio->value() / 100.0;
    t.minDeltaMs = m_minDelta->value();
    m_model->setComparison(Comparison::compare(Matrix::fromRun(m_before), Matrix::fromRun(m_after), t));
    m_summary->setText(m_model->comparison().summary());
}

} // namespace nestscope
