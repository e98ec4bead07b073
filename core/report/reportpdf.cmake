# The PDF report: QTextDocument and QPdfWriter (Qt Gui), the figures rasterised with QSvgRenderer
# (Qt Svg). A target of its own beside nestscope_core, which stays without Gui: the report model,
# the Markdown and the HTML (figures as SVG text) live in the core; `nestscope report`, `nestscope
# run --pdf`, the Export Report dialog and tst_reports link this for the PDF.
find_package(Qt6 6.4 REQUIRED COMPONENTS Gui Svg)
add_library(nestscope_reportpdf STATIC
    ${CMAKE_CURRENT_LIST_DIR}/reportpdf.cpp ${CMAKE_CURRENT_LIST_DIR}/reportpdf.h
)
add_library(Nestscope::reportpdf ALIAS nestscope_reportpdf)
target_link_libraries(nestscope_reportpdf PUBLIC Nestscope::core Qt6::Gui PRIVATE Qt6::Svg)
