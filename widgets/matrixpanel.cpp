#include "matrixpanel.h"

#include "heatmapdelegate.h"
#include "matrixfiltermodel.h"
#include "matrixmodel.h"

#include <QAction>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

namespace nestscope {

MatrixPanel::MatrixPanel(QWidget *parent)
    : QWidget(parent)
    , m_title(new QLabel(this))
    , m_model(new MatrixModel(this))
    , m_filter(new MatrixFilterModel(this))
    , m_show(new QComboBox(this))
    , m_split(new QCheckBox(tr("Split by &family"), this))
    , m_view(new QTableView(this))
    , m_controls(new QHBoxLayout)
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
    connect(m_view->selectionModel(), &QItemSelectionModel::currentChanged, this, &MatrixPanel::currentCellChanged);

    m_show->addItem(tr("All probes"), int(MatrixFilterModel::Show::All));
    m_show->addItem(tr("Probes with problems"), int(MatrixFilterModel::Show::Problems));
    m_show->addItem(tr("Probes that never passed somewhere"), int(MatrixFilterModel::Show::Failing));
    m_show->setToolTip(tr("Which probes the matrix shows"));
    connect(m_show, &QComboBox::currentIndexChanged, this, [this] {
        m_filter->setShow(MatrixFilterModel::Show(m_show->currentData().toInt()));
    });
    m_split->setToolTip(tr("Put each probe's IPv4 and IPv6 variants in one row, with a column per "
                           "target and address family"));
    connect(m_split, &QCheckBox::toggled, m_model, &MatrixModel::setSplitByFamily);

    auto *copy = new QPushButton(tr("Copy as Markdown"), this);
    copy->setToolTip(tr("Put the matrix as shown on the clipboard as a Markdown table, for a ticket "
                        "or a chat (Ctrl+Shift+C)"));
    connect(copy, &QPushButton::clicked, this, &MatrixPanel::copyMarkdown);
    auto *copyAction = new QAction(tr("Copy Matrix as Markdown"), this);
    copyAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C));
    copyAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(copyAction, &QAction::triggered, this, &MatrixPanel::copyMarkdown);
    addAction(copyAction);

    m_controls->addWidget(m_title, 1);
    auto *showLabel = new QLabel(tr("&Show:"), this);
    showLabel->setBuddy(m_show);
    m_controls->addWidget(showLabel);
    m_controls->addWidget(m_show);
    m_controls->addWidget(m_split);
    m_controls->addWidget(copy);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 4, 6, 0);
    layout->addLayout(m_controls);
    layout->addWidget(m_view, 1);
}

void MatrixPanel::setProbeFamilies(const QHash<QString, Family> &families)
{
    m_model->setProbeFamilies(families);
}

void MatrixPanel::copyMarkdown()
{
    QList<int> rows;
    for (int r = 0; r < m_filter->rowCount(); ++r) {
        rows << m_filter->mapToSource(m_filter->index(r, 0)).row();
    }
    QGuiApplication::clipboard()->setText(m_model->toMarkdown(rows));
}

} // namespace nestscope
