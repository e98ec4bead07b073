#pragma once

#include "plan/plan.h"
#include "results/matrix.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QSet>

namespace nestscope {

/// Probes as rows, targets as columns over a core Matrix. DisplayRole is the median latency;
/// the pass rate drives the colour (BackgroundRole, and PassRateRole for delegates).
///
/// Split by address family, probes about one family ("http-ipv4", "http-ipv6") share a row ("http")
/// and each target gets a column per family ("vm1 · IPv4", "vm1 · IPv6"), so that IPv4 and IPv6 sit
/// side by side; probes about no family keep a plain target column. The split only re-indexes:
/// every cell still is one probe on one target (ProbeIdRole and TargetRole name them).
class MatrixModel final : public QAbstractTableModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MatrixModel)
public:
    enum Role {
        CellRole = Qt::UserRole, ///< the MatrixCell itself (QVariant of MatrixCell)
        PassRateRole, ///< double 0..1, or an invalid QVariant for an empty cell
        MedianRole, ///< double ms
        ProbeIdRole,
        TargetRole,
        EvidenceRole, ///< bool: the selected finding cites a sample of this cell
    };

    explicit MatrixModel(QObject *parent = nullptr);

    /// Starts over with these axes and no samples (a new run).
    void reset(const QStringList &probeIds, const QStringList &targets);
    void setMatrix(const Matrix &matrix);
    /// Adds one sample as it arrives, growing rows or columns when it names new ones.
    void addSample(const Sample &sample);
    const Matrix &matrix() const { return m_matrix; }

    /// The cells (probe id, target) a finding cites as evidence; they get EvidenceRole and a
    /// mark in the view. Empty clears the marks.
    void setEvidence(const QSet<std::pair<QString, QString>> &cells);
    const QSet<std::pair<QString, QString>> &evidence() const { return m_evidence; }

    /// Which family each probe is about (see probeFamily()); probes not listed are judged by an
    /// "ipv4"/"ipv6" word in their id.
    void setProbeFamilies(const QHash<QString, Family> &families);
    void setSplitByFamily(bool split);
    bool splitByFamily() const { return m_split; }
    /// The family a probe counts as: from setProbeFamilies(), else from its id.
    Family familyOf(const QString &probeId) const;
    /// "http-ipv4" -> "http": the probe's id without its family word (the id itself when that leaves
    /// nothing). A DNS record type at the end names the family too: "dns-a" / "dns-aaaa" -> "dns".
    static QString familyBaseName(const QString &probeId, Family family);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;

    /// The matrix as a GitHub-flavoured Markdown table, for a ticket or a chat: one row per probe,
    /// each cell "41 ms, 3/3 pass" or "0/3 pass: <last problem>", the problem whole (pipes escaped).
    QString toMarkdown() const;
    /// The same for these rows only (e.g. those a filter lets through), in this order.
    QString toMarkdown(const QList<int> &rows) const;

    /// "12 ms", "1.3 s": how latencies read in the matrix.
    static QString formatMs(double ms);
    /// Red (0) through amber to green (1).
    static QColor colorForPassRate(double rate);

private:
    struct SplitRow {
        QString label;
        int source[3] = { -1, -1, -1 }; ///< the matrix row per Family (Any, IPv4, IPv6)
    };
    struct SplitColumn {
        QString label;
        int source = -1; ///< the matrix column
        Family family = Family::Any;
    };
    /// The matrix (row, column) behind a displayed cell; row -1 when no probe fills it.
    std::pair<int, int> sourceOf(int row, int column) const;
    const MatrixCell &cellAt(int row, int column) const;
    void rebuildSplit();

    Matrix m_matrix;
    QHash<QString, Family> m_families;
    QSet<std::pair<QString, QString>> m_evidence;
    bool m_split = false;
    QList<SplitRow> m_rows; // when split
    QList<SplitColumn> m_columns; // when split
};

} // namespace nestscope

Q_DECLARE_METATYPE(nestscope::MatrixCell)
