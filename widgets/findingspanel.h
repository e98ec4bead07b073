#pragma once

#include "diagnosis/diagnosis.h"

#include <QSet>
#include <QWidget>

class QLabel;
class QListView;
class QPushButton;
class QTextBrowser;

namespace nestscope {

class FindingsModel;

/// The verdict beside the matrix: the ranked findings of the diagnosis, and for the selected one
/// its cause, confidence and why, the affected targets and families, the evidence with its raw
/// text (rule lines, routes, sysctls, the failing commands and their output), the fix as exact
/// commands with their reverts, and references. Selecting a finding asks the window to mark its
/// evidence cells in the matrix and its nodes in the topology (evidenceChanged).
class FindingsPanel final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FindingsPanel)
public:
    explicit FindingsPanel(QWidget *parent = nullptr);

    /// Shows a diagnosis; the selected finding stays selected when it is still there.
    void setDiagnosis(const Diagnosis &diagnosis);
    /// No run to judge yet, or the run has no topology snapshot to judge it with: says why.
    void clear(const QString &why);
    const Diagnosis &diagnosis() const;
    FindingsModel *model() const { return m_model; }
    QListView *list() const { return m_list; }
    QString detailsText() const;
    QString headline() const;
    /// "Try the Fix…": enabled when the selected finding has fix steps (tryFixRequested).
    QPushButton *tryFixButton() const { return m_tryFix; }
    /// The id of the selected finding, or empty.
    QString currentId() const;
    void selectFinding(const QString &id);

    /// A finding as an HTML page (cause, confidence, evidence, fix, references): what the details
    /// pane shows.
    static QString findingHtml(const Finding &finding);
    /// The fix of a finding as a shell snippet: each command, with its revert as a comment.
    static QString fixScript(const Finding &finding);
    /// The topology nodes a finding is about: its targets' nodes, the bridges and the runner its
    /// facts name (node ids as in core/topology/graph.h).
    static QStringList topologyNodes(const Finding &finding);

Q_SIGNALS:
    /// The cells (probe id, target) and topology node ids the selected finding cites; empty sets
    /// when nothing is selected.
    void evidenceChanged(const QSet<std::pair<QString, QString>> &cells, const QStringList &nodes);
    /// The user wants to try the selected finding's fix on the runner (an experiment).
    void tryFixRequested(const nestscope::Finding &finding);

private:
    void showCurrent();

    FindingsModel *m_model;
    QLabel *m_headline;
    QListView *m_list;
    QTextBrowser *m_details;
    QPushButton *m_copyFix;
    QPushButton *m_tryFix;
};

} // namespace nestscope
