# File > Export Report…: the dialog with its preview, over the report model (core/report) and the
# PDF writer (core/report/reportpdf.cmake).
target_sources(nestscope_widgets PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/reportdialog.cpp ${CMAKE_CURRENT_LIST_DIR}/reportdialog.h
)
target_link_libraries(nestscope_widgets PUBLIC Nestscope::reportpdf)
