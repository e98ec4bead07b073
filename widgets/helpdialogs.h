#pragma once

#include <QDialog>
#include <QList>
#include <QString>

class QLabel;
class QLineEdit;
class QMainWindow;
class QTreeWidget;

namespace nestscope {

class LxdClientVersions;

/// One keyboard shortcut of a window, as Help > Keyboard Shortcuts lists it.
struct ShortcutEntry {
    QString group; ///< the menu ("File", "File › Export Topology") or the page / dock the action belongs to
    QString action; ///< the action's text without its mnemonic
    QString keys; ///< its shortcuts in the platform's own words ("Ctrl+R, F5")
    QString tip; ///< its status tip
};

/// Every action of `window` that has a shortcut: the menu bar's, menu by menu in their order, then
/// the ones only a page, dock or toolbar holds (the Topology page's Fit, Find…), named after it.
QList<ShortcutEntry> windowShortcuts(QMainWindow *window);

/// Help > Keyboard Shortcuts (F1): the window's shortcuts grouped by menu, with a search field.
class ShortcutsDialog final : public QDialog {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ShortcutsDialog)
public:
    explicit ShortcutsDialog(const QList<ShortcutEntry> &entries, QWidget *parent = nullptr);
    QLineEdit *searchField() const { return m_search; }
    QTreeWidget *list() const { return m_list; }
    /// The entries that match the search, as "Group/Action=Keys".
    QStringList visibleEntries() const;

private:
    void filter(const QString &text);
    QLineEdit *m_search;
    QTreeWidget *m_list;
};

/// Help > About Nestscope: its version and its libraries' (Qt, libssh, Graphviz), and the LXD and
/// Incus clients of this machine, asked in the background (the rows say "looking…" meanwhile).
class AboutDialog final : public QDialog {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AboutDialog)
public:
    /// `runnerClient` says what the connected runner has, when a discovery found out ("lxc, LXD
    /// 5.0.2 on ssh://ci-3"); empty: the row is left out.
    explicit AboutDialog(const QString &runnerClient = {}, QWidget *parent = nullptr);
    ~AboutDialog() override;
    /// The versions as plain text, one "name: version" a line (what Copy puts on the clipboard).
    QString versionsText() const;
    /// Whether the LXD/Incus clients have answered.
    bool clientsKnown() const;

Q_SIGNALS:
    void clientsFound();

private:
    void showClients();
    LxdClientVersions *m_clients;
    QLabel *m_lxc;
    QLabel *m_incus;
    QList<std::pair<QString, QLabel *>> m_rows;
};

/// Where the documentation is on this machine: the installed README.md (share/doc/nestscope under
/// the program's prefix, then /usr/share/doc/nestscope), else the README.md of the source tree a
/// build runs from. Empty when there is none.
QString documentationPath();

/// Where the documentation is online, for when it is not on this machine.
QString documentationOnline();

} // namespace nestscope
