#pragma once

#include "plan/plan.h"

#include <QWidget>

class QLabel;
class QListWidget;
class QPlainTextEdit;
class QTimer;

namespace nestscope {

/// Edits a plan's YAML with highlighting, checks it while the user types (the error is marked
/// at its line and column and spelled out below) and lists its probes in an outline that jumps
/// to each. Built-in plans open read-only; Save As makes an editable copy.
class PlanEditor final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PlanEditor)
public:
    explicit PlanEditor(QWidget *parent = nullptr);

    /// Shows a plan's text. `source` is a file path or builtin:NAME (then the editor is read-only).
    void setPlanText(const QByteArray &text, const QString &source);
    QByteArray planText() const;
    QString source() const { return m_source; }
    bool isReadOnly() const;
    bool isModified() const;

    /// Parses the text now (the editor also does so 300 ms after the last keystroke).
    Result<Plan> validate();
    /// The last validation's error, empty when the plan is valid.
    QString errorText() const;

    /// Writes the text to `path` and makes that the plan's source (leaves read-only mode).
    Result<bool> saveTo(const QString &path);

    QPlainTextEdit *textEdit() const { return m_edit; }
    QListWidget *outline() const { return m_outline; }

Q_SIGNALS:
    /// After each validation: the plan parsed (valid) or not.
    void validated(bool valid);

private:
    void markError(const Error &error);
    void fillOutline(const Plan &plan);
    void updateBanner();

    QPlainTextEdit *m_edit;
    QListWidget *m_outline;
    QLabel *m_banner;
    QLabel *m_status;
    QTimer *m_debounce;
    QString m_source;
    QString m_error;
};

} // namespace nestscope
