#include "sampledetails.h"

#include "codehighlighter.h"
#include "matrixmodel.h"
#include "results/runstats.h"

#include <QFontDatabase>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace nestscope {

namespace {

QString outputText(const QByteArray &data, bool truncated)
{
    QString text = QString::fromUtf8(data); // invalid bytes show as U+FFFD; the JSON keeps them exactly
    if (truncated) {
        text += QStringLiteral("\n[… output truncated at %1 bytes]").arg(data.size());
    }
    return text;
}

} // namespace

SampleDetails::SampleDetails(QWidget *parent)
    : QWidget(parent)
    , m_title(new QLabel(this))
    , m_list(new QTreeWidget(this))
    , m_text(new QPlainTextEdit(this))
{
    m_title->setTextFormat(Qt::PlainText);
    m_list->setHeaderLabels({ tr("#"), tr("Status"), tr("Latency"), tr("Exit"), tr("Message") });
    m_list->setRootIsDecorated(false);
    m_list->setUniformRowHeights(true);
    m_list->header()->setStretchLastSection(true);
    for (int column = 0; column < 4; ++column) {
        m_list->header()->setSectionResizeMode(column, QHeaderView::ResizeToContents);
    }
    m_text->setReadOnly(true);
    m_text->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    attachHighlighter(m_text->document(), CodeLanguage::Log);

    auto *split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(m_list);
    split->addWidget(m_text);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_title);
    layout->addWidget(split, 1); // the list and the output take the height, not the title line

    connect(m_list, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem *item) {
        showSample(item ? item->data(0, Qt::UserRole).toInt() : -1);
    });
    clear();
}

QString SampleDetails::title() const
{
    return m_title->text();
}

void SampleDetails::clear()
{
    m_samples.clear();
    m_list->clear();
    m_text->clear();
    m_title->setText(tr("Select a cell of the matrix to see its samples."));
}

void SampleDetails::showSamples(const QString &probeId, const QString &target, const QList<Sample> &samples)
{
    m_samples = samples;
    m_list->clear();
    m_title->setText(tr("%1 on %2: %n sample(s)", nullptr, int(samples.size())).arg(probeId, target));
    for (int i = 0; i < samples.size(); ++i) {
        const Sample &s = samples.at(i);
        auto *item = new QTreeWidgetItem(m_list);
        item->setText(0, QString::number(s.repetition + 1));
        item->setText(1, toText(s.status));
        item->setText(2, MatrixModel::formatMs(s.latencyMs));
        item->setText(3, s.exitCode >= 0 ? QString::number(s.exitCode) : QStringLiteral("–"));
        item->setText(4, s.message);
        item->setData(0, Qt::UserRole, i);
        item->setBackground(1, MatrixModel::colorForPassRate(s.status == SampleStatus::Pass ? 1.0 : 0.0));
    }
    if (!samples.isEmpty()) {
        m_list->setCurrentItem(m_list->topLevelItem(0));
    } else {
        m_text->clear();
    }
}

void SampleDetails::showSample(int index)
{
    if (index < 0 || index >= m_samples.size()) {
        m_text->clear();
        return;
    }
    const Sample &s = m_samples.at(index);
    QString text;
    text += tr("$ %1\n").arg(s.command);
    text += tr("status: %1").arg(toText(s.status));
    if (!s.message.isEmpty()) {
        text += QStringLiteral(" — ") + s.message;
    }
    text += tr("\nexit code: %1   latency: %2   started: %3\n")
                .arg(s.exitCode >= 0 ? QString::number(s.exitCode) : tr("none"), MatrixModel::formatMs(s.latencyMs),
                    s.startedAt.toLocalTime().toString(Qt::ISODateWithMs));
    if (!s.phasesMs.isEmpty()) {
        QStringList phases;
        for (auto it = s.phasesMs.cbegin(); it != s.phasesMs.cend(); ++it) {
            const QString measure = runstats::formatMeasure(it.key(), it.value());
            phases << QStringLiteral("%1 %2").arg(
                it.key(), measure.isEmpty() ? MatrixModel::formatMs(it.value()) : measure);
        }
        text += tr("phases: %1\n").arg(phases.join(QStringLiteral(", ")));
    }
    text += tr("\n── stdout ──\n%1\n── stderr ──\n%2")
                .arg(outputText(s.stdOut, s.stdOutTruncated), outputText(s.stdErr, s.stdErrTruncated));
    m_text->setPlainText(text);
}

} // namespace nestscope
