# The run store: SQLite (QtSql) with its schema migrations, and run comparison.
target_sources(nestscope_core PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/runstore.cpp ${CMAKE_CURRENT_LIST_DIR}/runstore.h
    ${CMAKE_CURRENT_LIST_DIR}/storeschema.cpp ${CMAKE_CURRENT_LIST_DIR}/storeschema.h
)
