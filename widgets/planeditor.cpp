#include "planeditor.h"

#include "codehighlighter.h"
#include "common/savefile.h"

#include <QFontDatabase>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QTextBlock>
#include <QTimer>
#include <QVBoxLayout>

namespace nestscope {

PlanEditor::PlanEditor(QWidget *parent)
    : QWidget(parent)
    , m_edit(new QPlainTextEdit(this))
    , m_outline(new QListWidget(this))
    , m_banner(new QLabel(this))
    , m_status(new QLabel(this))
    , m_debounce(new QTimer(this))
{
    m_edit->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_edit->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_edit->setTabChangesFocus(false);
    m_edit->setAccessibleName(tr("Plan text"));
    attachHighlighter(m_edit->document(), CodeLanguage::Yaml);
    m_outline->setAccessibleName(tr("Probes in the plan"));
    m_banner->setWordWrap(true);
    m_banner->setContentsMargins(6, 3, 6, 3);
    m_banner->setAutoFillBackground(true);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setContentsMargins(6, 3, 6, 3);

    auto *split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(m_outline);
    split->addWidget(m_edit);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 4);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(m_banner);
    layout->addWidget(split, 1);
    layout->addWidget(m_status);

    m_debounce->setSingleShot(true);
    m_debounce->setInterval(300);
    connect(m_debounce, &QTimer::timeout, this, [this] {
        validate();
    });
    connect(m_edit, &QPlainTextEdit::textChanged, m_debounce, qOverload<>(&QTimer::start));
    connect(m_outline, &QListWidget::itemActivated, this, [this](QListWidgetItem *item) {
        const QTextBlock block = m_edit->document()->findBlockByNumber(item->data(Qt::UserRole).toInt() - 1);
        QTextCursor c(block);
        m_edit->setTextCursor(c);
        m_edit->centerCursor();
        m_edit->setFocus();
    });
    connect(m_outline, &QListWidget::itemClicked, m_outline, &QListWidget::itemActivated);
    updateBanner();
}

void PlanEditor::setPlanText(const QByteArray &text, const QString &source)
{
    m_source = source;
    m_edit->setPlainText(QString::fromUtf8(text));
    m_edit->setReadOnly(source.startsWith(QLatin1String("builtin:")));
    m_edit->document()->setModified(false);
    updateBanner();
    validate();
}

QByteArray PlanEditor::planText() const
{
    return m_edit->toPlainText().toUtf8();
}

bool PlanEditor::isReadOnly() const
{
    return m_edit->isReadOnly();
}

bool PlanEditor::isModified() const
{
    return m_edit->document()->isModified();
}

QString PlanEditor::errorText() const
{
    return m_error;
}

Result<Plan> PlanEditor::validate()
{
    m_debounce->stop();
    auto plan = parsePlan(planText(), m_source);
    if (plan) {
        m_error.clear();
        m_edit->setExtraSelections({});
        fillOutline(plan.value());
        m_status->setText(tr("✓ %n probe(s), valid", nullptr, int(plan->probes.size())));
        m_status->setStyleSheet(QString());
    } else {
        markError(plan.error());
    }
    Q_EMIT validated(plan.ok());
    return plan;
}

void PlanEditor::markError(const Error &error)
{
    m_error = error.toString();
    m_status->setText(tr("✗ line %1, column %2: %3").arg(error.line).arg(error.column).arg(error.message));
    m_status->setStyleSheet(QStringLiteral("color: palette(bright-text); background: #b3261e;"));
    QList<QTextEdit::ExtraSelection> marks;
    const QTextBlock block = m_edit->document()->findBlockByNumber(std::max(0, error.line - 1));
    if (block.isValid()) {
        QTextEdit::ExtraSelection line;
        line.format.setBackground(QColor(255, 80, 60, 45));
        line.format.setProperty(QTextFormat::FullWidthSelection, true);
        line.cursor = QTextCursor(block);
        marks << line;
        // Underline from the column to the end of the word it points at.
        QTextEdit::ExtraSelection word;
        word.format.setUnderlineStyle(QTextCharFormat::WaveUnderline);
        word.format.setUnderlineColor(QColor(0xd0, 0x20, 0x10));
        QTextCursor c(block);
        c.movePosition(QTextCursor::Right, QTextCursor::MoveAnchor,
            std::clamp(error.column - 1, 0, std::max(0, block.length() - 1)));
        c.movePosition(QTextCursor::EndOfWord, QTextCursor::KeepAnchor);
        if (!c.hasSelection()) {
            c.movePosition(QTextCursor::EndOfBlock, QTextCursor::KeepAnchor);
        }
        word.cursor = c;
        marks << word;
    }
    m_edit->setExtraSelections(marks);
}

void PlanEditor::fillOutline(const Plan &plan)
{
    m_outline->clear();
    for (const Probe &p : plan.probes) {
        auto *item = new QListWidgetItem(QStringLiteral("%1  ·  %2").arg(p.id, toText(p.kind)), m_outline);
        item->setData(Qt::UserRole, p.line);
        item->setToolTip(p.description.isEmpty() ? tr("line %1").arg(p.line) : p.description);
    }
}

void PlanEditor::updateBanner()
{
    if (isReadOnly()) {
        m_banner->setText(tr("Built-in plan %1 is read-only. Use Save Plan As… to edit a copy.").arg(m_source.mid(8)));
        m_banner->setBackgroundRole(QPalette::ToolTipBase);
        m_banner->setForegroundRole(QPalette::ToolTipText);
        m_banner->show();
    } else {
        m_banner->hide();
    }
}

Result<bool> PlanEditor::saveTo(const QString &path)
{
    if (const QString why = writeWholeFile(path, planText()); !why.isEmpty()) {
        return Error { tr("cannot save the plan: %1").arg(why), path };
    }
    m_source = path;
    m_edit->setReadOnly(false);
    m_edit->document()->setModified(false);
    updateBanner();
    validate();
    return true;
}

} // namespace nestscope
