#include "comparisonview.h"

#include "comparisonmodel.h"
#include "resultcharts.h"

#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

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

    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(top);
    split->addWidget(m_charts);
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

void ComparisonView::recompute()
{
    ComparisonThresholds t;
    t.ratio = m_ratio->value() / 100.0;
    t.minDeltaMs = m_minDelta->value();
    m_model->setComparison(Comparison::compare(Matrix::fromRun(m_before), Matrix::fromRun(m_after), t));
    m_summary->setText(m_model->comparison().summary());
}

} // namespace nestscope
