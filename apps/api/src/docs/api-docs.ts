import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

export const API_DOCS_PATH = 'admin/docs';
export const API_DOCS_JSON_PATH = 'admin/docs-json';

/** Serves the OpenAPI document (UI at /admin/docs, JSON at /admin/docs-json). Call before app.init(). */
export function setupApiDocs(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('dualwrite API')
      .setDescription(
        'Admin API of the dual-write platform (/admin/*, bearer tokens with roles viewer < operator < admin) ' +
          'and the example host app (/api/:entity).',
      )
      .setVersion('0.1.0')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An admin token from ADMIN_TOKENS' })
      .build(),
  );
  SwaggerModule.setup(API_DOCS_PATH, app, document, { jsonDocumentUrl: API_DOCS_JSON_PATH, yamlDocumentUrl: 'admin/docs-yaml' });
}
